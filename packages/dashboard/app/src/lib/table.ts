// Sorting for the data tables: by one column, either way, stable, numbers as numbers.

/** Which way a column sorts, as `aria-sort` names it. */
export type SortDirection = "ascending" | "descending";

/** The table's sort state. */
export interface SortState<K extends string> {
  key: K;
  direction: SortDirection;
}

/** The next state after a click on column `key`: a new column sorts ascending, the same one flips. */
export function nextSort<K extends string>(current: SortState<K> | undefined, key: K): SortState<K> {
  if (current?.key === key) {
    return { key, direction: current.direction === "ascending" ? "descending" : "ascending" };
  }
  return { key, direction: "ascending" };
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1; // blanks last either way round
  if (b === undefined || b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: "base" });
}

/** A sorted copy of `rows` (the input is not changed). */
export function sortRows<T, K extends string & keyof T>(
  rows: readonly T[],
  sort: SortState<K> | undefined,
): T[] {
  const copy = [...rows];
  if (sort === undefined) return copy;
  const sign = sort.direction === "ascending" ? 1 : -1;
  return copy.sort((x, y) => {
    const a = x[sort.key];
    const b = y[sort.key];
    if (a === undefined || a === null || b === undefined || b === null) return compareValues(a, b);
    return sign * compareValues(a, b);
  });
}

/** Rows where any of `keys` contains `needle` (case-insensitive); all rows for an empty needle. */
export function filterRows<T>(rows: readonly T[], needle: string, keys: readonly (keyof T)[]): T[] {
  const n = needle.trim().toLowerCase();
  if (n === "") return [...rows];
  return rows.filter((r) =>
    keys.some((k) =>
      String(r[k] ?? "")
        .toLowerCase()
        .includes(n),
    ),
  );
}
