/**
 * A timer for any delay. Node's setTimeout takes at most 2^31-1 ms (about 24.8 days); a longer
 * delay fires after 1 ms with a TimeoutOverflowWarning. A `wait timeout=3000000` must wait as long
 * as asked, so a long delay is a chain of shorter timers, each re-armed against a monotonic
 * deadline (performance.now: wall-clock steps neither shorten nor lengthen it). Infinity never fires.
 */
import { performance } from 'node:perf_hooks';

/** The longest delay setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls fire once after ms milliseconds; returns how to cancel it. */
export function setLongTimeout(ms: number, fire: () => void, maxStep = MAX_TIMER_MS): () => void {
  const delay = ms > 0 ? ms : 0; // NaN and negatives: at once
  const deadline = performance.now() + delay;
  let timer: NodeJS.Timeout | null = null;
  const arm = (left: number): void => {
    timer = setTimeout(() => {
      const rest = deadline - performance.now();
      if (rest > 0) arm(rest);
      else {
        timer = null;
        fire();
      }
    }, Math.min(Math.ceil(left), maxStep));
  };
  arm(delay);
  return () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
}
