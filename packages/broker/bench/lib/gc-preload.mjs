// Preloaded (`node --expose-gc --import`) into the broker under benchmark. On its
// IPC channel: "mem-nogc" answers process.memoryUsage() as it is; "mem" runs a full GC twice and answers process.memoryUsage();
// "snap" writes a heap snapshot (in the cwd) and answers its file name;
// "sample-start" / "sample-stop" run the sampling heap profiler (allocations,
// collected ones included) and answer the .heapprofile file name.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { writeHeapSnapshot } from "node:v8";

let sampling;

if (process.send !== undefined) {
  process.on("message", (m) => {
    if (m === "snap") {
      process.send?.({ snapshot: writeHeapSnapshot() });
      return;
    }
    if (m === "sample-start" || m === "sample-start-live") {
      // Allocation sampling; "sample-start" also counts objects collected since (what a
      // churn allocates), "sample-start-live" only what is still in the heap at the stop
      // (live, or promoted garbage that only a full GC frees).
      const all = m === "sample-start";
      sampling = new Session();
      sampling.connect();
      sampling.post("HeapProfiler.startSampling", {
        samplingInterval: 512,
        includeObjectsCollectedByMajorGC: all,
        includeObjectsCollectedByMinorGC: all,
      });
      process.send?.({ sampling: true });
      return;
    }
    if (m === "sample-stop" && sampling !== undefined) {
      sampling.post("HeapProfiler.stopSampling", (error, result) => {
        const file = `Heap.${process.pid}.${Date.now()}.heapprofile`;
        if (error === null) writeFileSync(file, JSON.stringify(result.profile));
        sampling.disconnect();
        sampling = undefined;
        process.send?.({ profile: error === null ? file : String(error) });
      });
      return;
    }
    if (m === "mem-nogc") {
      process.send?.(process.memoryUsage());
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
