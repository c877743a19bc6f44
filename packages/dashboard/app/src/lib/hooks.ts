// Preact hooks shared by the pages: polling loaders and the hash route.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

/** What {@link usePoll} returns. */
export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again now (after a change the page made). */
  reload: () => void;
}

/**
 * Runs `load` now, then every `intervalMs` (0: once), never two at a time; again at
 * once when `deps` change. The newest answer wins; errors are kept until the next success.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, deps: readonly unknown[]): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let stopped = false;
    let busy = false;
    const run = async () => {
      if (busy) return;
      busy = true;
      try {
        const value = await loadRef.current();
        if (!stopped) {
          setData(value);
          setError(undefined);
        }
      } catch (err) {
        if (!stopped) setError(err);
      } finally {
        busy = false;
        if (!stopped) setLoading(false);
      }
    };
    setLoading(true);
    void run();
    const timer = intervalMs > 0 ? setInterval(run, intervalMs) : undefined;
    return () => {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
    };
  }, [intervalMs, tick, ...deps]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** The route after `#/` (e.g. `clients`), updated on `hashchange`. */
export function useHashRoute(): string {
  const read = () => window.location.hash.replace(/^#\/?/, "").split("?")[0] ?? "";
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener("hashchange", onChange);
    onChange(); // the hash may have changed between the first render and this effect
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

/** Runs an action, remembering whether it runs and how it ended, for a button and its status line. */
export function useAction(): {
  busy: boolean;
  error: unknown;
  done: string | undefined;
  run: (action: () => Promise<unknown>, doneMessage?: string) => Promise<boolean>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const run = useCallback(async (action: () => Promise<unknown>, doneMessage?: string) => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      await action();
      setDone(doneMessage);
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, done, run };
}

/** Cursor paging over a list endpoint: the cursors of the pages seen, to go back. */
export interface Pager {
  /** The cursor of the page shown (`undefined` for the first). */
  cursor: string | undefined;
  /** 1-based page number. */
  page: number;
  next: (nextCursor: string) => void;
  previous: () => void;
  /** Back to the first page (when a filter changes). */
  reset: () => void;
}

/** Keeps the cursor stack of a paged table. */
export function usePager(): Pager {
  const [stack, setStack] = useState<string[]>([]);
  return {
    cursor: stack[stack.length - 1],
    page: stack.length + 1,
    next: (c) => setStack((s) => [...s, c]),
    previous: () => setStack((s) => s.slice(0, -1)),
    reset: () => setStack((s) => (s.length === 0 ? s : [])),
  };
}

/** The system's colour scheme, updated when it changes (charts redraw with its colours). */
export function useColorScheme(): "light" | "dark" {
  const query = "(prefers-color-scheme: dark)";
  const [dark, setDark] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const media = window.matchMedia(query);
    const onChange = () => setDark(media.matches);
    media.addEventListener("change", onChange);
    onChange();
    return () => media.removeEventListener("change", onChange);
  }, []);
  return dark ? "dark" : "light";
}
