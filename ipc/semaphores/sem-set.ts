/**
 * A set of counting semaphores with Linux semop(2)/semctl(2) semantics; a POSIX semaphore is a set
 * of one with SEM_VALUE_MAX and EOVERFLOW. Pure state: no timers, no I/O. Waiting is a Waiter whose
 * `done(errno)` is called (0 = success) when it completes or fails; timeouts and signals are the
 * caller's, through cancel().
 *
 * Semantics follow ipc/sem.c step by step, because who gets the units after a change is visible:
 * - an operation array is applied in order and committed whole or not at all (perform_atomic_semop);
 *   sem_op > 0 adds, < 0 waits until it can subtract, 0 waits for zero; a result above the maximum
 *   is ERANGE (EOVERFLOW for POSIX); an undo adjustment beyond ±SEMAEM is ERANGE;
 * - waiters sit in Linux's lists (wait-queues.ts) and after a change are retried as
 *   do_smart_update does: first the wait-for-zero waiters of every semaphore that is now 0
 *   (do_smart_wakeup_zero), then the decrements (update_queue); a waiter that cannot proceed is
 *   skipped, not a barrier;
 * - wake-ups (done) are delivered after the whole change, as Linux's wake_q does;
 * - otime is stamped by a semop that completes, and by SETVAL/SETALL only when they let a waiter
 *   complete; releasing an undo holder (exit_sem) always stamps it;
 * - an undo holder is attached to the set by any semop with SEM_UNDO that gets past the set lookup
 *   (find_alloc_undo), whether or not it then succeeds, so its release stamps otime as Linux's exit does.
 */
import { Errno, ErrnoError, fail } from '../errno.js';
import type { UndoHolder } from './undo.js';
import { NORMAL_PRIO } from '../sched-order.js';
import { WaitQueues } from './wait-queues.js';

export interface SemOp {
  num: number;
  op: number;
  /** IPC_NOWAIT: fail with EAGAIN instead of waiting */
  nowait?: boolean;
  /** SEM_UNDO: record the inverse in the holder's adjustments */
  undo?: boolean;
}

export interface SemSetOptions {
  nsems: number;
  /** SEMVMX (SysV) or SEM_VALUE_MAX (POSIX) */
  max: number;
  /** errno when a value would pass max: ERANGE (SysV) or EOVERFLOW (POSIX sem_post) */
  overflowErrno: number;
  /** SEMAEM */
  maxAdj: number;
  /** SEMOPM */
  maxOps: number;
  now?: () => number;
}

export class Waiter {
  queued = true;
  /** index in ops of the operation that blocks it (what GETNCNT/GETZCNT count) */
  blocking = 0;
  /** the list of WaitQueues it sits on */
  list: Waiter[] | null = null;
  /** some operation changes a value (Linux's `alter`): it waits on an alter list */
  readonly alter: boolean;
  constructor(
    readonly ops: readonly SemOp[],
    readonly pid: number,
    readonly holder: UndoHolder | null,
    readonly done: (errno: number) => void,
    /** the caller's, opaque here: what it needs to answer this waiter */
    readonly tag: unknown = null,
    /** its place among waiters (ipc/sched-order.ts): smaller first, FIFO among equals */
    readonly prio = NORMAL_PRIO,
  ) {
    this.alter = ops.some((o) => o.op !== 0);
  }
}

type Attempt = { ok: true } | { ok: false; blocking: number };

const APPLIED: Attempt = Object.freeze({ ok: true });
const BLOCKED_AT_FIRST: Attempt = Object.freeze({ ok: false, blocking: 0 });

/** A retried waiter still has to sleep. */
const BLOCKED = -1;

export class SemSet {
  readonly values: number[];
  readonly pids: number[];
  /** last semop time (ms; 0 = never) and last change time */
  otime = 0;
  ctime: number;
  removed = false;
  private readonly queues = new WaitQueues();
  /** completions of the change in progress, delivered when it is over (Linux's wake_q) */
  private readonly woken: [Waiter, number][] = [];
  private readonly holders = new Set<UndoHolder>();
  /** called after every change of values or of the queue (poll wake-ups, status) */
  readonly watchers = new Set<() => void>();
  readonly now: () => number;

  constructor(readonly opts: SemSetOptions, initial: number[] = []) {
    this.now = opts.now ?? Date.now;
    this.values = Array.from({ length: opts.nsems }, (_, i) => initial[i] ?? 0);
    this.pids = Array.from({ length: opts.nsems }, () => 0);
    this.ctime = this.now();
  }

  get nsems(): number {
    return this.values.length;
  }

  get waiting(): number {
    return this.queues.size;
  }

  /** Every queued waiter (the set's lists first, then each semaphore's). */
  waiters(): Waiter[] {
    return this.queues.all();
  }

  /** Undo holders that currently hold adjustments on this set. */
  undoHolders(): UndoHolder[] {
    return [...this.holders].filter((h) => h.entries(this).length > 0);
  }

  attachHolder(h: UndoHolder): void {
    this.holders.add(h);
  }

  /**
   * Applies ops atomically if they can proceed now. Returns 'done', or a Waiter that is queued
   * and will be completed through done(errno). Throws ErrnoError for what fails at once, in
   * do_semtimedop's order: EINVAL (no ops), E2BIG, EIDRM, EFBIG, then EAGAIN (nowait) or
   * ERANGE/EOVERFLOW from the attempt.
   */
  semop(ops: readonly SemOp[], pid: number, holder: UndoHolder | null, done: (errno: number) => void, tag: unknown = null, prio?: () => number): 'done' | Waiter {
    if (ops.length < 1) fail(Errno.EINVAL, 'no operations');
    if (ops.length > this.opts.maxOps) fail(Errno.E2BIG, `more than ${this.opts.maxOps} operations`);
    if (this.removed) fail(Errno.EIDRM, 'semaphore removed');
    if (ops.some((o) => o.undo)) {
      if (!holder) fail(Errno.EINVAL, 'undo needs a holder');
      holder.attach(this);
    }
    for (const o of ops) {
      if (!Number.isInteger(o.num) || o.num < 0 || o.num >= this.nsems) fail(Errno.EFBIG, `semaphore ${o.num} not in 0..${this.nsems - 1}`);
      if (!Number.isInteger(o.op)) fail(Errno.EINVAL, 'sem_op must be an integer');
    }
    const a = this.attempt(ops, pid, holder);
    if (a.ok) {
      if (ops.some((o) => o.op !== 0)) this.smartUpdate(ops, true);
      else this.otime = this.now();
      this.endChange();
      return 'done';
    }
    if (ops[a.blocking]!.nowait) fail(Errno.EAGAIN, 'would block');
    // asked only now: a call that does not wait costs nothing more
    const w = new Waiter(ops, pid, holder, done, tag, prio ? prio() : NORMAL_PRIO);
    w.blocking = a.blocking;
    this.queues.add(w);
    this.endChange();
    return w;
  }

  /**
   * The waiter a post (one +1 on semaphore 0, without undo, by anyone allowed to alter) would
   * complete if it ran now, when the state alone makes that certain; else null. Lets a caller
   * answer that waiter before the post runs (fs/fuse/early-replies.ts); the post must then complete
   * exactly it, which holds when:
   *  - the set is live and semaphore 0 is 0: the post cannot overflow, and after it semaphore 0
   *    is 1, so do_smart_update wakes no wait-for-zero waiter before the decrements;
   *  - no complex operation waits (the set's alter list is empty): update_queue then retries
   *    semaphore 0's own list from its head, and its head is a single operation;
   *  - that head takes exactly 1 (it then succeeds and leaves 0, stopping the scan), without undo,
   *    or with an undo adjustment that stays within SEMAEM and needs no budget it might be refused
   *    (an entry it already has, one it clears, or a holder without a budget).
   * ipc/semaphores tests check, over random states, that a post then completes exactly this waiter.
   */
  postHandoff(): Waiter | null {
    if (this.removed || this.values[0] !== 0 || this.queues.setAlter.length) return null;
    const w = this.queues.alterOf(0)[0];
    if (!w || w.ops.length !== 1) return null;
    const o = w.ops[0]!;
    if (o.num !== 0 || o.op !== -1) return null;
    if (o.undo) {
      const adj = w.holder!.get(this, 0) + 1;
      if (adj > this.opts.maxAdj) return null;
      if (w.holder!.bounded && adj !== 0 && w.holder!.get(this, 0) === 0) return null;
    }
    return w;
  }

  /** Takes a waiter off the queue (timeout: EAGAIN/ETIMEDOUT, signal: EINTR); it takes nothing. */
  cancel(w: Waiter, errno: number): void {
    if (!w.queued) return;
    this.queues.unlink(w);
    this.woken.push([w, errno]);
    this.endChange();
  }

  /** Tries ops on a copy; commits on success (values, pids, adjustments). Throws ERANGE/EOVERFLOW. */
  private attempt(ops: readonly SemOp[], pid: number, holder: UndoHolder | null): Attempt {
    if (ops.length === 1 && !ops[0]!.undo) return this.attemptOne(ops[0]!, pid);
    const vals = new Map<number, number>();
    const adjs = new Map<number, number>();
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i]!;
      const cur = vals.get(o.num) ?? this.values[o.num]!;
      if (o.op === 0 && cur !== 0) return { ok: false, blocking: i };
      const result = cur + o.op;
      if (result < 0) return { ok: false, blocking: i };
      if (result > this.opts.max) fail(this.opts.overflowErrno, `value would exceed ${this.opts.max}`);
      if (o.undo) {
        const adj = (adjs.get(o.num) ?? holder!.get(this, o.num)) - o.op;
        if (adj < -this.opts.maxAdj - 1 || adj > this.opts.maxAdj) fail(Errno.ERANGE, 'undo adjustment out of range');
        adjs.set(o.num, adj);
      }
      vals.set(o.num, result);
    }
    if (adjs.size) holder!.reserve(this, adjs); // may refuse (ENOMEM): nothing changed yet
    for (const [num, v] of vals) this.values[num] = v;
    for (const o of ops) this.pids[o.num] = pid;
    for (const [num, adj] of adjs) holder!.add(this, num, adj - holder!.get(this, num));
    return { ok: true };
  }

  /**
   * attempt() of one operation without undo: the post and wait of every POSIX semaphore, on the
   * path from a post to its waiter's reply, so it allocates nothing (attempt's copies are Maps).
   */
  private attemptOne(o: SemOp, pid: number): Attempt {
    const cur = this.values[o.num]!;
    if (o.op === 0 ? cur !== 0 : cur + o.op < 0) return BLOCKED_AT_FIRST;
    if (cur + o.op > this.opts.max) fail(this.opts.overflowErrno, `value would exceed ${this.opts.max}`);
    this.values[o.num] = cur + o.op;
    this.pids[o.num] = pid;
    return APPLIED;
  }

  /** perform_atomic_semop on a queued waiter: 0, an errno, or BLOCKED (blocking op noted). */
  private retry(w: Waiter): number {
    try {
      const a = this.attempt(w.ops, w.pid, w.holder);
      if (a.ok) return 0;
      w.blocking = a.blocking;
      // an IPC_NOWAIT operation behind the one it slept on fails the whole waiter, as at once
      return w.ops[a.blocking]!.nowait ? Errno.EAGAIN : BLOCKED;
    } catch (err) {
      return err instanceof ErrnoError ? err.errno : Errno.EINVAL;
    }
  }

  /** wake_const_ops: completes the waiters of one const list that can; true if one succeeded. */
  private wakeConst(list: readonly Waiter[]): boolean {
    let completed = false;
    for (let i = 0; i < list.length; ) {
      const w = list[i]!;
      const r = this.retry(w);
      if (r === BLOCKED) {
        i++;
        continue;
      }
      this.queues.unlink(w);
      this.woken.push([w, r]);
      if (r === 0) completed = true;
    }
    return completed;
  }

  /** do_smart_wakeup_zero: the changed semaphores (all when nums is null) that are now 0. */
  private wakeZero(ops: readonly SemOp[] | null): boolean {
    let completed = false;
    let gotZero = false;
    const nums = ops ? ops.map((o) => o.num) : this.values.keys();
    for (const n of nums) {
      if (this.values[n] !== 0) continue;
      gotZero = true;
      if (this.wakeConst(this.queues.constOf(n))) completed = true;
    }
    if (gotZero && this.wakeConst(this.queues.setConst)) completed = true;
    return completed;
  }

  /** update_queue: retries one alter list (num -1: the set's) in order; true if one succeeded. */
  private updateQueue(num: number): boolean {
    let completed = false;
    for (;;) {
      const list = num < 0 ? this.queues.setAlter : this.queues.alterOf(num);
      let restart = false;
      for (let i = 0; i < list.length; ) {
        // a per-semaphore list holds only decrements: none can proceed at 0
        if (num >= 0 && this.values[num] === 0) return completed;
        const w = list[i]!;
        const r = this.retry(w);
        if (r === BLOCKED) {
          i++;
          continue;
        }
        this.queues.unlink(w);
        if (r === 0) {
          completed = true;
          this.wakeZero(w.ops);
          // check_restart: complex waiters (still queued, or this one) may want the new values
          restart = this.queues.setAlter.length > 0 || w.ops.length > 1;
        }
        this.woken.push([w, r]);
        if (restart) break;
      }
      if (!restart) return completed;
    }
  }

  /** do_smart_update after a change: ops are the operations that made it (null: unknown, check all). */
  private smartUpdate(ops: readonly SemOp[] | null, stampOtime: boolean): void {
    let completed = this.wakeZero(ops);
    if (this.queues.setAlter.length) {
      if (this.updateQueue(-1)) completed = true;
    } else if (!ops) {
      for (let n = 0; n < this.nsems; n++) if (this.queues.alterOf(n).length && this.updateQueue(n)) completed = true;
    } else {
      // only what increased can let a decrement through
      for (const o of ops) if (o.op > 0 && this.updateQueue(o.num)) completed = true;
    }
    if (stampOtime || completed) this.otime = this.now();
  }

  /** The end of an operation on the set (Linux's sem_unlock + wake_up_q). */
  private endChange(): void {
    this.queues.settle();
    for (const [w, errno] of this.woken.splice(0)) w.done(errno);
    this.notify();
  }

  private notify(): void {
    for (const fn of this.watchers) fn();
  }

  /** GETNCNT: waiters blocked on decrementing num. */
  ncnt(num: number): number {
    return this.queues.ncnt(num);
  }

  /** GETZCNT: waiters blocked waiting for num to be zero. */
  zcnt(num: number): number {
    return this.queues.zcnt(num);
  }

  /** GETNCNT and GETZCNT of every semaphore in one pass over the queue (status texts). */
  waitCounts(): { ncnt: Uint32Array; zcnt: Uint32Array } {
    return this.queues.counts(this.nsems);
  }

  /** Holders attached to this set, in attach order (some may hold nothing now). */
  attachedHolders(): UndoHolder[] {
    return [...this.holders];
  }

  private checkValue(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > this.opts.max) fail(Errno.ERANGE, `value must be in 0..${this.opts.max}`);
  }

  /**
   * SETVAL in semctl_setval's order: ERANGE before the set lookup (EIDRM here) and the semaphore
   * number (EINVAL). Clears every holder's adjustment of num, then retries waiters.
   */
  setval(num: number, value: number, pid: number): void {
    this.checkValue(value);
    if (this.removed) fail(Errno.EIDRM, 'semaphore removed');
    if (!Number.isInteger(num) || num < 0 || num >= this.nsems) fail(Errno.EINVAL, `no semaphore ${num}`);
    for (const h of this.holders) h.clear(this, num);
    this.values[num] = value;
    this.pids[num] = pid;
    this.ctime = this.now();
    this.smartUpdate(null, false);
    this.endChange();
  }

  /** SETALL: all values at once (all checked before any is set), as semctl_main. */
  setall(values: readonly number[], pid: number): void {
    if (this.removed) fail(Errno.EIDRM, 'semaphore removed');
    if (values.length !== this.nsems) fail(Errno.EINVAL, `SETALL needs ${this.nsems} values`);
    values.forEach((v) => this.checkValue(v));
    values.forEach((v, n) => {
      this.values[n] = v;
      this.pids[n] = pid;
    });
    for (const h of this.holders) for (let n = 0; n < this.nsems; n++) h.clear(this, n);
    this.ctime = this.now();
    this.smartUpdate(null, false);
    this.endChange();
  }

  /**
   * A released holder's adjustments (exit_sem): each non-zero one is added, clamped to [0, max],
   * and sets that semaphore's pid; then waiters are retried and otime is stamped, even when
   * nothing was left to add.
   */
  applyUndo(holder: UndoHolder, adj: ReadonlyMap<number, number>): void {
    this.holders.delete(holder);
    if (this.removed) return;
    for (const [num, a] of adj) {
      if (a === 0) continue;
      this.values[num] = Math.min(this.opts.max, Math.max(0, this.values[num]! + a));
      this.pids[num] = holder.pid;
    }
    this.smartUpdate(null, true);
    this.endChange();
  }

  /** IPC_RMID / sem_destroy: every waiter fails with EIDRM; adjustments are dropped. */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    for (const h of this.holders) h.forget(this);
    this.holders.clear();
    for (const w of this.queues.all()) {
      this.queues.unlink(w);
      this.woken.push([w, Errno.EIDRM]);
    }
    this.endChange();
  }
}
