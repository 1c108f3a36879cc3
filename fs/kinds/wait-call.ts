/**
 * A call into a state machine that may wait (semop, a send to a full queue, a receive from an empty
 * one), as a request's reply. The state machine queues a waiter completed by done(errno, value); the
 * request's AbortSignal (INTERRUPT: EINTR, SIGKILL ends the caller at once) and the call's timeout
 * cancel it through the state machine, so a cancelled wait takes nothing. The reply is a Completion:
 * the session answers it the moment the waiter is completed, even from inside the request that
 * completed it (fuse/completion.ts). Written once for every kind.
 */
import { Errno, ErrnoError } from '../../ipc/errno.js';
import { Completion } from '../fuse/completion.js';
import { setLongTimeout } from '../tree/long-timer.js';
import type { FsContext } from '../tree/node.js';

/**
 * O_NONBLOCK in the f_flags a READ or WRITE carries: the descriptor's flags at the time of that
 * call, so an fcntl(F_SETFL, O_NONBLOCK) after open counts from the next call on.
 */
export const O_NONBLOCK = 0o4000;
export const nonBlocking = (flags: number): boolean => (flags & O_NONBLOCK) !== 0;

/** What begin returns when the call completed at once. */
export const DONE_NOW = Symbol('done now');

export interface WaitOptions {
  /** null: no timeout; 0: do not wait (cancelled at once with timeoutErrno) */
  timeoutMs: number | null;
  /** ETIMEDOUT (POSIX) or EAGAIN (System V semtimedop) */
  timeoutErrno: number;
  /** the descriptor is non-blocking (nonBlocking(flags)): a call that would wait fails with EAGAIN */
  nonBlocking?: boolean;
  /** the message of an errno reply (EIDRM: 'semaphore removed') */
  describe?: (errno: number) => string | undefined;
}

/**
 * begin(done) runs the call: it returns DONE_NOW with the value in `now` when it completed at
 * once, or the queued waiter, which the state machine completes later through done.
 */
export function waitCall<W, T>(
  ctx: FsContext,
  begin: (done: (errno: number, value: T) => void) => W | typeof DONE_NOW,
  cancel: (w: W, errno: number) => void,
  o: WaitOptions,
): Completion<T> | typeof DONE_NOW {
  let settle: (errno: number, value: T) => void = () => {};
  let cancelTimer: (() => void) | null = null;
  const onAbort = (): void => {
    if (w !== DONE_NOW) cancel(w, Errno.EINTR);
  };
  const w = begin((errno, value) => {
    // The reply first (it goes out from inside settle): the clean-up is not on the waiter's path.
    settle(errno, value);
    cancelTimer?.();
    ctx.signal.removeEventListener('abort', onAbort);
  });
  if (w === DONE_NOW) return DONE_NOW;
  const result = new Completion<T>();
  settle = (errno, value) => (errno === 0 ? result.resolve(value) : result.reject(new ErrnoError(errno, o.describe?.(errno))));
  if (ctx.signal.aborted) onAbort();
  else if (o.nonBlocking) cancel(w, Errno.EAGAIN);
  else if (o.timeoutMs === 0) cancel(w, o.timeoutErrno);
  else {
    // any length: a timeout past setTimeout's 2^31-1 ms is a chain of timers (tree/long-timer.ts)
    if (o.timeoutMs !== null) cancelTimer = setLongTimeout(o.timeoutMs, () => cancel(w, o.timeoutErrno));
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  }
  return result;
}
