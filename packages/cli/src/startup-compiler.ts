// V8's optimising compiler (TurboFan) held back while the broker starts. Node's
// module loader runs a few of its own functions (path and URL helpers) often
// enough during start-up that V8 optimises them, and the first optimisation
// pages about 4 MB of the compiler's code in the `node` binary into memory, where
// an idle broker keeps it. Nothing the broker runs later needs those functions
// fast, so the compiler is kept off until the listeners are bound and let loose
// again then: the broker's own hot path is first run after that and is
// optimised as usual (packages/broker/README.md, "Idle broker RSS").
import { setFlagsFromString } from "node:v8";

let held = false;

/**
 * Whether Node was started with a TurboFan filter of its own (`NODE_OPTIONS` may
 * not carry one): then it is left as the user set it.
 */
function userSetFilter(): boolean {
  return process.execArgv.some((arg) => arg.includes("turbo-filter"));
}

/** Keep V8 from optimising any function until {@link releaseOptimisingCompiler}. */
export function holdOptimisingCompiler(): void {
  if (held || userSetFilter()) return;
  // A filter no function name passes: functions that grow hot are left unoptimised, not marked.
  setFlagsFromString("--turbo-filter=-*");
  held = true;
}

/** Let V8 optimise again (its default filter); a no-op when nothing was held. */
export function releaseOptimisingCompiler(): void {
  if (!held) return;
  setFlagsFromString("--turbo-filter=*");
  held = false;
}
