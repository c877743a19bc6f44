/**
 * A wake-up signal for one waiting loop: `notify` before `wait` is not lost
 * (the next `wait` returns at once), several `notify` calls wake once.
 */
export class Notifier {
  private pending = false;
  private waiter: (() => void) | undefined;

  /** Wake the loop (now, or at its next `wait`). */
  notify(): void {
    const w = this.waiter;
    if (w === undefined) {
      this.pending = true;
      return;
    }
    this.waiter = undefined;
    w();
  }

  /** Resolves at the next `notify` (at once when one came since the last `wait`). */
  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}
