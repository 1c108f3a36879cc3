/**
 * Resource accounting: global and per-uid counters with limits, so that no user can make the
 * daemon grow without bound. Pure bookkeeping (no I/O); the callers decide what a resource is.
 *
 * A request charges all it needs at once (charge()): either every counter moves or none does,
 * so a refused request changes nothing. The Charge it gets back is released exactly once
 * (release() is idempotent), when the thing it paid for goes away.
 *
 * Root (uid 0) is exempt from per-uid limits, as CAP_SYS_RESOURCE is from RLIMIT_*; global
 * limits apply to everyone. Usage of a uid that drops back to nothing is forgotten, so the
 * bookkeeping itself is bounded by the uids that hold something.
 */
import { Errno, fail } from './errno.js';

export interface ResourceLimit {
  /** all users together; Infinity = no limit */
  global: number;
  /** each uid but root; Infinity = no limit */
  perUid: number;
  /** the answer past the global limit (ENOSPC for objects, ENFILE for handles) */
  globalErrno: number;
  /** the answer past a uid's limit (ENOSPC for objects, EMFILE for handles) */
  uidErrno: number;
  /** for messages: "SEMMNI", "open files" ... */
  label: string;
}

export type Amounts<R extends string> = Partial<Record<R, number>>;

/** What one request was charged; release() gives it back once. */
export class Charge<R extends string = string> {
  private released = false;
  constructor(private readonly quota: Quota<R>, readonly uid: number, readonly amounts: Amounts<R>) {}

  get live(): boolean {
    return !this.released;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.quota.credit(this.uid, this.amounts);
  }
}

export const ROOT_UID = 0;

export class Quota<R extends string = string> {
  private readonly total = new Map<R, number>();
  private readonly byUid = new Map<number, Map<R, number>>();

  constructor(readonly limits: Readonly<Record<R, ResourceLimit>>) {}

  used(r: R): number {
    return this.total.get(r) ?? 0;
  }

  usedBy(uid: number, r: R): number {
    return this.byUid.get(uid)?.get(r) ?? 0;
  }

  /** uids holding anything (bounded by what they hold) */
  get uids(): number {
    return this.byUid.size;
  }

  /** Checks every amount against both limits, then takes them all; throws (changing nothing) past a limit. */
  charge(uid: number, amounts: Amounts<R>, what = 'request'): Charge<R> {
    const mine = this.byUid.get(uid);
    for (const r of Object.keys(amounts) as R[]) {
      const n = amounts[r] ?? 0;
      if (!Number.isInteger(n) || n < 0) fail(Errno.EINVAL, `bad amount ${n} of ${r}`);
      const l = this.limits[r];
      if (!l) fail(Errno.EINVAL, `unknown resource ${r}`);
      if (this.used(r) + n > l.global) fail(l.globalErrno, `${what}: ${l.label} limit (${l.global}) reached for everyone`);
      if (uid !== ROOT_UID && (mine?.get(r) ?? 0) + n > l.perUid) fail(l.uidErrno, `${what}: ${l.label} limit per user (${l.perUid}) reached for uid ${uid}`);
    }
    this.move(uid, amounts, 1);
    return new Charge(this, uid, { ...amounts });
  }

  /**
   * Gives back what a charge took: Charge.release, or an owner that keeps its own exact count of
   * what it took in several charges (UndoHolder, through undoBudget in ipc/limits.ts).
   */
  credit(uid: number, amounts: Amounts<R>): void {
    this.move(uid, amounts, -1);
  }

  private move(uid: number, amounts: Amounts<R>, sign: 1 | -1): void {
    let mine = this.byUid.get(uid);
    if (!mine) {
      mine = new Map();
      this.byUid.set(uid, mine);
    }
    for (const r of Object.keys(amounts) as R[]) {
      const n = (amounts[r] ?? 0) * sign;
      if (!n) continue;
      this.total.set(r, this.used(r) + n);
      const v = (mine.get(r) ?? 0) + n;
      if (v) mine.set(r, v);
      else mine.delete(r);
    }
    if (!mine.size) this.byUid.delete(uid);
  }
}
