/** Something finished at the end of the current synchronous run (see {@link atTurnEnd}). */
export interface TurnEndTask {
  /** The synchronous run that asked for it is over. */
  turnEnded(): void;
}

/** Tasks of this run, in the order they asked; each asks once per run. */
const due: TurnEndTask[] = [];
let scheduled = false;
/** The promise whose reaction runs the tasks: one reaction per run, whatever the number of tasks. */
const settled = Promise.resolve();

/**
 * Run `task.turnEnded()` once the current synchronous run is over (a microtask
 * later). Every task of a run shares one promise reaction: the clock forgetting
 * its reading and each connection writing its batch took a reaction or a
 * `process.nextTick` each, about 190 bytes apiece per message (issue 19).
 * Not `queueMicrotask`: Node wraps each of those in an AsyncResource. Shared by
 * every broker in the process, as the event loop is.
 */
export function atTurnEnd(task: TurnEndTask): void {
  due.push(task);
  if (scheduled) return;
  scheduled = true;
  settled.then(runTurnEnd);
}

function runTurnEnd(): void {
  scheduled = false;
  let done = 0;
  try {
    // A task added while these run (a write's synchronous callback) runs in this loop too.
    for (; done < due.length; done++) (due[done] as TurnEndTask).turnEnded();
  } finally {
    if (done >= due.length) {
      // `pop` keeps the slots for the next run; after a wide fan-out, let them go.
      if (due.length > 64) due.length = 0;
      else while (due.length > 0) due.pop();
    } else {
      // A task threw: the ones after it still run, a microtask later.
      due.splice(0, done + 1);
      if (due.length > 0 && !scheduled) {
        scheduled = true;
        settled.then(runTurnEnd);
      }
    }
  }
}
