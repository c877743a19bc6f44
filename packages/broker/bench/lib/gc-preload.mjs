// Preloaded (`node --expose-gc --import`) into the broker under benchmark. On its
// IPC channel: "mem" runs a full GC twice and answers process.memoryUsage();
// "snap" writes a heap snapshot (in the cwd) and answers its file name.
import { writeHeapSnapshot } from "node:v8";

if (process.send !== undefined) {
  process.on("message", (m) => {
    if (m === "snap") {
      process.send?.({ snapshot: writeHeapSnapshot() });
      return;
    }
    if (m !== "mem") return;
    globalThis.gc?.();
    globalThis.gc?.();
    // Let finalizers and freed pages settle before reading RSS.
    setTimeout(() => process.send?.(process.memoryUsage()), 100);
  });
  // The channel must not keep a broker alive after SIGTERM.
  process.channel?.unref();
}
