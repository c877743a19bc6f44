/**
 * Runs tasks one after the other: each after everything started before it, so
 * that plugin answers that arrive late never reorder a client's packets. Stays
 * synchronous while nothing is pending and a task answers synchronously. A task
 * that throws or rejects goes to its owner's `taskFailed` (the connection
 * aborts), and the tasks after it still run.
 */
export class SerialTasks {
  /** The tail of the chain while some task is pending. */
  private tail: Promise<void> | undefined;

  /** `owner`: an object, not a closure, so an idle connection holds no function for it. */
  constructor(private readonly owner: TaskOwner) {}

  /** Run `task` after the pending ones (at once when none is). */
  run(task: () => void | Promise<void>): void {
    if (this.tail !== undefined) {
      this.settle(this.tail.then(() => this.attempt(task)));
      return;
    }
    // Nothing pending (the hot path: every PUBLISH comes through here): no closure, no promise.
    const result = this.attempt(task);
    if (result !== undefined) this.settle(result);
  }

  /**
   * Run `task` on `self` with `a`, `b`, `c` after the pending ones, as `run`
   * does; while nothing is pending, with no closure made (the PUBLISH hot path:
   * one closure and its context per message otherwise).
   */
  runWith<T, A, B, C>(
    self: T,
    task: (this: T, a: A, b: B, c: C) => void | Promise<void>,
    a: A,
    b: B,
    c: C,
  ): void {
    if (this.tail !== undefined) {
      this.run(() => task.call(self, a, b, c));
      return;
    }
    const result = runFirstTaskWith(this.owner, self, task, a, b, c);
    if (result !== undefined) this.settle(result);
  }

  private attempt(task: () => void | Promise<void>): void | Promise<void> {
    try {
      return task();
    } catch (error) {
      this.owner.taskFailed(asError(error));
    }
  }

  /** Make `p` (a task already started, still pending) the one the next tasks wait for. */
  follow(p: Promise<void>): void {
    this.settle(p);
  }

  private settle(p: Promise<void>): void {
    const guarded = p.catch((error) => this.owner.taskFailed(asError(error)));
    this.tail = guarded;
    guarded.then(() => {
      if (this.tail === guarded) this.tail = undefined;
    });
  }
}

/** Where a {@link SerialTasks} reports a task that threw or rejected. */
export interface TaskOwner {
  taskFailed(error: Error): void;
}

/**
 * Run `task` for an owner with no {@link SerialTasks} yet (nothing pending): at
 * once, with a throw going to `taskFailed`. Returns the task's promise when it
 * answered asynchronously (the owner then makes its `SerialTasks` to follow it).
 */
export function runFirstTask(owner: TaskOwner, task: () => void | Promise<void>): Promise<void> | undefined {
  try {
    return task() ?? undefined;
  } catch (error) {
    owner.taskFailed(asError(error));
    return undefined;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** {@link runFirstTask} for the method `task` of `self` with three arguments (no closure on the hot path). */
export function runFirstTaskWith<T, A, B, C>(
  owner: TaskOwner,
  self: T,
  task: (this: T, a: A, b: B, c: C) => void | Promise<void>,
  a: A,
  b: B,
  c: C,
): Promise<void> | undefined {
  try {
    return task.call(self, a, b, c) ?? undefined;
  } catch (error) {
    owner.taskFailed(asError(error));
    return undefined;
  }
}
