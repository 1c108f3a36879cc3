/**
 * Where blocked semop calls wait, laid out as Linux's ipc/sem.c lays them out: the order in which
 * waiters are retried after a change decides who gets the units, so the lists themselves are part
 * of the semantics (a differential test compares them with the kernel's at run time).
 *
 * - A single operation that alters (a decrement: increments never block) waits on its semaphore's
 *   alter list, or on the set's alter list while complex operations wait.
 * - A single wait-for-zero waits on its semaphore's const list, always.
 * - Several operations (complex) wait on the set's alter list if any of them alters, else on the
 *   set's const list. When the first complex one queues, every semaphore's alter list is spliced
 *   onto the front of the set's (merge_queues: list_splice_init, so the highest semaphore ends first).
 * - When no complex operation waits any more, the set's alter list goes back to the per-semaphore
 *   lists in its order (unmerge_queues); Linux does that when it drops the set's global lock, which
 *   is at the end of every operation that can change complex_count: callers call settle() then.
 *
 * Per-semaphore lists exist only while not empty, so a set of 32000 semaphores costs nothing here.
 *
 * Each list is kept in its waiters' `prio` order, FIFO among equals (ipc/sched-order.ts). System V
 * waiters all have the same prio, so their lists are sem.c's arrival order; a POSIX semaphore gives
 * its waiters the futex's order (its waits are single operations on semaphore 0, never complex).
 */
import { insertByPrio } from '../sched-order.js';
import type { Waiter } from './sem-set.js';

const NONE: readonly Waiter[] = Object.freeze([]);

export class WaitQueues {
  /** sma->pending_alter and sma->pending_const */
  readonly setAlter: Waiter[] = [];
  readonly setConst: Waiter[] = [];
  private readonly semAlter = new Map<number, Waiter[]>();
  private readonly semConst = new Map<number, Waiter[]>();
  private complexCount = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** sems[num].pending_alter */
  alterOf(num: number): readonly Waiter[] {
    return this.semAlter.get(num) ?? NONE;
  }

  /** sems[num].pending_const */
  constOf(num: number): readonly Waiter[] {
    return this.semConst.get(num) ?? NONE;
  }

  /** Queues a waiter that has to sleep, where do_semtimedop puts it. */
  add(w: Waiter): void {
    if (w.ops.length === 1) {
      const num = w.ops[0]!.num;
      if (!w.alter) this.push(w, this.semList(this.semConst, num));
      else this.push(w, this.complexCount ? this.setAlter : this.semList(this.semAlter, num));
      return;
    }
    if (this.complexCount === 0) this.merge();
    this.push(w, w.alter ? this.setAlter : this.setConst);
    this.complexCount++;
  }

  /** unlink_queue: takes the waiter off its list. */
  unlink(w: Waiter): void {
    const list = w.list;
    if (!list) return;
    list.splice(list.indexOf(w), 1);
    w.list = null;
    w.queued = false;
    this.count--;
    if (w.ops.length > 1) this.complexCount--;
    else if (list.length === 0 && list !== this.setAlter) (w.alter ? this.semAlter : this.semConst).delete(w.ops[0]!.num);
  }

  /** unmerge_queues: back to the per-semaphore lists once no complex operation waits. */
  settle(): void {
    if (this.complexCount || this.setAlter.length === 0) return;
    for (const w of this.setAlter.splice(0)) {
      w.list = null;
      this.push(w, this.semList(this.semAlter, w.ops[0]!.num));
      this.count--;
    }
  }

  /** Every waiter: the set's lists, then each semaphore's (freeary's order). */
  all(): Waiter[] {
    const nums = [...new Set([...this.semConst.keys(), ...this.semAlter.keys()])].sort((a, b) => a - b);
    return [...this.setConst, ...this.setAlter, ...nums.flatMap((n) => [...this.constOf(n), ...this.alterOf(n)])];
  }

  /** GETNCNT (count_semcnt): a per-semaphore waiter sleeps on its semaphore; a complex one on its blocking op's. */
  ncnt(num: number): number {
    return this.alterOf(num).length + this.setAlter.filter((w) => blocksOn(w, num, false)).length;
  }

  /** GETZCNT */
  zcnt(num: number): number {
    return this.constOf(num).length + this.setAlter.filter((w) => blocksOn(w, num, true)).length + this.setConst.filter((w) => blocksOn(w, num, true)).length;
  }

  /** GETNCNT and GETZCNT of every semaphore at once: O(nsems + waiters), for status texts. */
  counts(nsems: number): { ncnt: Uint32Array; zcnt: Uint32Array } {
    const ncnt = new Uint32Array(nsems);
    const zcnt = new Uint32Array(nsems);
    for (const [n, l] of this.semAlter) ncnt[n] = l.length;
    for (const [n, l] of this.semConst) zcnt[n] = l.length;
    for (const w of [...this.setAlter, ...this.setConst]) {
      const op = w.ops[w.blocking]!;
      if (op.op < 0 && w.list === this.setAlter) ncnt[op.num]!++;
      else if (op.op === 0) zcnt[op.num]!++;
    }
    return { ncnt, zcnt };
  }

  /** merge_queues: each semaphore's alter list in turn goes to the front of the set's. */
  private merge(): void {
    const nums = [...this.semAlter.keys()].sort((a, b) => a - b);
    for (const n of nums) {
      const l = this.semAlter.get(n)!;
      for (const w of l) w.list = this.setAlter;
      this.setAlter.unshift(...l);
    }
    this.semAlter.clear();
  }

  private semList(map: Map<number, Waiter[]>, num: number): Waiter[] {
    let l = map.get(num);
    if (!l) {
      l = [];
      map.set(num, l);
    }
    return l;
  }

  private push(w: Waiter, list: Waiter[]): void {
    insertByPrio(list, w);
    w.list = list;
    this.count++;
  }
}

/** check_qop: does w sleep on num (for zero, or for a decrement)? */
function blocksOn(w: Waiter, num: number, zero: boolean): boolean {
  const op = w.ops[w.blocking]!;
  return op.num === num && (zero ? op.op === 0 : op.op < 0);
}
