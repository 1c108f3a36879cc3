/**
 * V8 tiering for a daemon whose hot path runs once per event, far apart: imported by `ipcfs mount`
 * (tools/mount.ts) before it loads the daemon's modules. Only the daemon: a short-lived tool (a
 * jobserver run, one sem post) would pay the extra optimizing for nothing.
 *
 * Why: V8 optimizes a function after it has run several "interrupt budgets" of bytecode (67,584
 * bytes each by default, V8 11). A handler that runs once per wake-up (a jobserver token posted
 * every few milliseconds) spends thousands of requests in the interpreter first. Measured with
 * `npm run bench` (pinned, after 1,000 wake-ups): the post -> waiter wake-up took 45 us with the
 * default, 24 us with a budget of 4096, 28 us with 16384; smaller budgets gained nothing more.
 * The cost is more frequent tiering checks and optimized code for functions that run rarely:
 * small for a daemon. Closures created before this line keep the default until their first tick.
 */
import { setFlagsFromString } from 'node:v8';

export const INTERRUPT_BUDGET = 4096;

setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
