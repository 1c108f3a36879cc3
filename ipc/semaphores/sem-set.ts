/**
 * A set of counting semaphores with Linux semop(2) semantics; a POSIX semaphore is a set of one
 * with SEM_VALUE_MAX and EOVERFLOW. Pure state: no timers, no I/O. Waiting is a queue of Waiters
 * whose `done(errno)` is called (0 = success) when they complete or fail; timeouts and signals
 * are the caller's, through cancel().
 *
 * Semantics (ipc/sem.c): an operation array is applied in order on a copy and committed whole or
 * not at all; sem_op > 0 adds, < 0 waits until it can subtract, 0 waits for zero; a result above
 * the maximum is ERANGE (EOVERFLOW for POSIX); an undo adjustment beyond ±SEMAEM is ERANGE. After
 * every change the queue is scanned in arrival order and every waiter that can now complete does
 * (a waiter that cannot is skipped, not a barrier: Linux's order); the scan restarts after each
 * completion that changed values.
 */
import { Errno, ErrnoError, fail } from '../errno.js';
import type { UndoHolder } from './undo.js';

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
  constructor(
    readonly ops: readonly SemOp[],
    readonly pid: number,
    readonly holder: UndoHolder | null,
    readonly done: (errno: number) => void,
  ) {}
}

type Attempt = { ok: true } | { ok: false; blocking: number };

export class SemSet {
  readonly values: number[];
  readonly pids: number[];
  /** last semop time (ms; 0 = never) and last change time */
  otime = 0;
  ctime: number;
  removed = false;
  private readonly queue: Waiter[] = [];
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
    return this.queue.length;
  }

  /** Undo holders that currently hold adjustments on this set. */
  undoHolders(): UndoHolder[] {
    return [...this.holders].filter((h) => h.entries(this).length > 0);
  }

  attachHolder(h: UndoHolder): void {
    this.holders.add(h);
  }

  private validate(ops: readonly SemOp[]): void {
    if (this.removed) fail(Errno.EIDRM, 'semaphore removed');
    if (ops.length < 1) fail(Errno.EINVAL, 'no operations');
    if (ops.length > this.opts.maxOps) fail(Errno.E2BIG, `more than ${this.opts.maxOps} operations`);
    for (const o of ops) {
      if (!Number.isInteger(o.num) || o.num < 0 || o.num >= this.nsems) fail(Errno.EFBIG, `semaphore ${o.num} not in 0..${this.nsems - 1}`);
      if (!Number.isInteger(o.op)) fail(Errno.EINVAL, 'sem_op must be an integer');
    }
  }

  /**
   * Applies ops atomically if they can proceed now. Returns 'done', or a Waiter that is queued
   * and will be completed through done(errno). Throws ErrnoError for what fails at once (EAGAIN
   * with nowait, ERANGE/EOVERFLOW, EFBIG, E2BIG, EIDRM, EINVAL).
   */
  semop(ops: readonly SemOp[], pid: number, holder: UndoHolder | null, done: (errno: number) => void): 'done' | Waiter {
    this.validate(ops);
    if (ops.some((o) => o.undo) && !holder) fail(Errno.EINVAL, 'undo needs a holder');
    const a = this.attempt(ops, pid, holder);
    if (a.ok) {
      this.changed();
      return 'done';
    }
    if (ops[a.blocking]!.nowait) fail(Errno.EAGAIN, 'would block');
    const w = new Waiter(ops, pid, holder, done);
    w.blocking = a.blocking;
    this.queue.push(w);
    this.notify();
    return w;
  }

  /** Takes a waiter off the queue (timeout: EAGAIN/ETIMEDOUT, signal: EINTR); it takes nothing. */
  cancel(w: Waiter, errno: number): void {
    if (!w.queued) return;
    w.queued = false;
    const i = this.queue.indexOf(w);
    if (i >= 0) this.queue.splice(i, 1);
    this.notify();
    w.done(errno);
  }

  /** Tries ops on a copy; commits on success. Throws ERANGE/EOVERFLOW. */
  private attempt(ops: readonly SemOp[], pid: number, holder: UndoHolder | null): Attempt {
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
    this.otime = this.now();
    return { ok: true };
  }

  /** Wakes every waiter that can now complete, in Linux's order (see the file comment). */
  private wake(): void {
    let restart = true;
    while (restart) {
      restart = false;
      for (let i = 0; i < this.queue.length; i++) {
        const w = this.queue[i]!;
        let errno = 0;
        try {
          const a = this.attempt(w.ops, w.pid, w.holder);
          if (!a.ok) {
            w.blocking = a.blocking;
            continue;
          }
        } catch (err) {
          errno = err instanceof ErrnoError ? err.errno : Errno.EINVAL;
        }
        this.queue.splice(i, 1);
        w.queued = false;
        w.done(errno);
        if (errno === 0 && w.ops.some((o) => o.op !== 0)) {
          restart = true;
          break;
        }
        i--;
      }
    }
  }

  private changed(): void {
    this.wake();
    this.notify();
  }

  private notify(): void {
    for (const fn of this.watchers) fn();
  }

  /** GETNCNT: waiters blocked on decrementing num. */
  ncnt(num: number): number {
    return this.queue.filter((w) => w.ops[w.blocking]!.num === num && w.ops[w.blocking]!.op < 0).length;
  }

  /** GETZCNT: waiters blocked waiting for num to be zero. */
  zcnt(num: number): number {
    return this.queue.filter((w) => w.ops[w.blocking]!.num === num && w.ops[w.blocking]!.op === 0).length;
  }

  private checkValue(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > this.opts.max) fail(Errno.ERANGE, `value must be in 0..${this.opts.max}`);
  }

  /** SETVAL: clears every holder's adjustment of num (as Linux does), then wakes waiters. */
  setval(num: number, value: number, pid: number): void {
    if (this.removed) fail(Errno.EIDRM);
    if (!Number.isInteger(num) || num < 0 || num >= this.nsems) fail(Errno.EINVAL, `no semaphore ${num}`);
    this.checkValue(value);
    for (const h of this.holders) h.clear(this, num);
    this.values[num] = value;
    this.pids[num] = pid;
    this.ctime = this.now();
    this.changed();
  }

  /** SETALL: all values at once (all checked before any is set). */
  setall(values: readonly number[], pid: number): void {
    if (this.removed) fail(Errno.EIDRM);
    if (values.length !== this.nsems) fail(Errno.EINVAL, `SETALL needs ${this.nsems} values`);
    values.forEach((v) => this.checkValue(v));
    for (const h of this.holders) for (let n = 0; n < this.nsems; n++) h.clear(this, n);
    values.forEach((v, n) => {
      this.values[n] = v;
      this.pids[n] = pid;
    });
    this.ctime = this.now();
    this.changed();
  }

  /** A released holder's adjustments, clamped to [0, max] as Linux's exit_sem does. */
  applyUndo(holder: UndoHolder, adj: ReadonlyMap<number, number>): void {
    this.holders.delete(holder);
    if (this.removed || adj.size === 0) return;
    for (const [num, a] of adj) {
      this.values[num] = Math.min(this.opts.max, Math.max(0, this.values[num]! + a));
      this.pids[num] = holder.pid;
    }
    this.changed();
  }

  /** IPC_RMID / sem_destroy: every waiter fails with EIDRM; adjustments are dropped. */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    for (const h of this.holders) h.forget(this);
    this.holders.clear();
    const waiting = this.queue.splice(0);
    for (const w of waiting) {
      w.queued = false;
      w.done(Errno.EIDRM);
    }
    this.notify();
  }
}
