import { describe, expect, it } from "vitest";
import { SerialTasks } from "../../src/core/serial-tasks.js";

class Owner {
  readonly failures: string[] = [];
  taskFailed(error: Error): void {
    this.failures.push(error.message);
  }
}

class Recorder {
  readonly seen: string[] = [];
  note(this: Recorder, a: string, b: number, c: boolean): void {
    this.seen.push(`${a}${b}${c}`);
  }
}

describe("SerialTasks.runWith", () => {
  it("runs a method with its arguments at once while nothing is pending", () => {
    const tasks = new SerialTasks(new Owner());
    const r = new Recorder();
    tasks.runWith(r, r.note, "x", 1, true);
    expect(r.seen).toEqual(["x1true"]);
  });

  it("waits behind a pending task, keeping the order of run and runWith", async () => {
    const owner = new Owner();
    const tasks = new SerialTasks(owner);
    const r = new Recorder();
    let release!: () => void;
    tasks.run(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    tasks.runWith(r, r.note, "a", 2, false);
    tasks.run(() => void r.seen.push("after"));
    expect(r.seen).toEqual([]);
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(r.seen).toEqual(["a2false", "after"]);
    expect(owner.failures).toEqual([]);
  });

  it("reports a task that throws or rejects to its owner, and the next tasks still run", async () => {
    const owner = new Owner();
    const tasks = new SerialTasks(owner);
    const r = new Recorder();
    tasks.runWith(
      r,
      () => {
        throw new Error("sync");
      },
      "",
      0,
      false,
    );
    tasks.runWith(r, () => Promise.reject(new Error("async")), "", 0, false);
    tasks.runWith(r, r.note, "b", 3, true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(owner.failures).toEqual(["sync", "async"]);
    expect(r.seen).toEqual(["b3true"]);
  });
});
