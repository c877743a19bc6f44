const DAY_MS = 86_400_000;
/** Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar. */
const EPOCH_SHIFT_DAYS = 719_468;
/** Days in a 400-year era. */
const ERA_DAYS = 146_097;
/** 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z: the span with four-digit years. */
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_800_000;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * `new Date(ms).toISOString()` by arithmetic (`2026-12-03T12:26:36.123Z`), for the
 * log's `time` field. The first `Date#toISOString` call sets up V8's date cache and
 * its ICU time zone, about 0.8 MB of RSS in a process that never needs local time;
 * times outside years 0000-9999 (and NaN) still go to `Date`.
 */
export function isoTime(ms: number): string {
  if (!(ms >= MIN_MS && ms < MAX_MS)) return new Date(ms).toISOString();
  const t = Math.trunc(ms); // as Date does (TimeClip truncates toward zero)
  const days = Math.floor(t / DAY_MS);
  let rest = t - days * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  // Civil date from a day count: count in 400-year eras of years starting on March 1st,
  // so the leap day is the last day of a year.
  const z = days + EPOCH_SHIFT_DAYS;
  const era = Math.floor(z / ERA_DAYS);
  const dayOfEra = z - era * ERA_DAYS; // 0 .. 146096
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  ); // 0 .. 399
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153); // 0 = March .. 11 = February
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const yyyy = year < 10 ? `000${year}` : year < 100 ? `00${year}` : year < 1000 ? `0${year}` : `${year}`;
  return `${yyyy}-${pad2(month)}-${pad2(day)}T${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${pad3(millis)}Z`;
}
