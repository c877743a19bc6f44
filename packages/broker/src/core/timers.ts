/** Node's setTimeout holds at most 2^31-1 ms (about 24.8 days); session expiry may be 136 years. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Call `fn` after `ms` milliseconds, however long, without keeping the process
 * alive. Returns a handle for `clearTimeout` that stays valid across re-arms.
 */
export function unrefTimeout(fn: () => void, ms: number): { current: ReturnType<typeof setTimeout> } {
  const handle = { current: undefined as unknown as ReturnType<typeof setTimeout> };
  const arm = (remaining: number): void => {
    const step = Math.min(remaining, MAX_TIMEOUT_MS);
    handle.current = setTimeout(() => {
      if (remaining > step) arm(remaining - step);
      else fn();
    }, step);
    handle.current.unref?.();
  };
  arm(Math.max(0, ms));
  return handle;
}
