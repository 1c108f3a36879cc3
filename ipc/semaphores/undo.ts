/**
 * Undo adjustments (semadj) of one holder. In Linux the holder is a process; in ipcfs it is an
 * open file handle (see docs/protocol.md): when the handle is released its adjustments are applied.
 */
import type { SemSet } from './sem-set.js';

/**
 * Where a holder's adjustment entries are counted (each costs the daemon memory): take throws
 * (ENOMEM, as Linux's semop when it cannot allocate the undo structure) past a limit.
 */
export interface UndoBudget {
  take(n: number): void;
  give(n: number): void;
}

export class UndoHolder {
  /** per set: adjustment per semaphore number */
  private readonly adj = new Map<SemSet, Map<number, number>>();
  released = false;

  constructor(readonly pid: number, readonly comm: string, private readonly budget: UndoBudget | null = null) {}

  /**
   * Before a semop commits: takes budget for the entries its new adjustments (num -> adj) would
   * create; throws, changing nothing, when the budget refuses. Entries that go later give it back.
   */
  reserve(set: SemSet, adjs: ReadonlyMap<number, number>): void {
    if (!this.budget) return;
    const m = this.adj.get(set);
    let grow = 0;
    for (const [num, adj] of adjs) if (adj !== 0 && !m?.has(num)) grow++;
    if (grow) this.budget.take(grow);
  }

  /** Whether new entries are counted against a budget (and may be refused). */
  get bounded(): boolean {
    return this.budget !== null;
  }

  get(set: SemSet, num: number): number {
    return this.adj.get(set)?.get(num) ?? 0;
  }

  /**
   * Ties the holder to the set (Linux's find_alloc_undo, done by any semop with SEM_UNDO that finds
   * the set): from then on its release runs the set's exit path, even with nothing to add back.
   */
  attach(set: SemSet): Map<number, number> {
    let m = this.adj.get(set);
    if (!m) {
      m = new Map();
      this.adj.set(set, m);
      set.attachHolder(this);
    }
    return m;
  }

  /** Adds delta to the adjustment of (set, num), dropping entries that return to 0. */
  add(set: SemSet, num: number, delta: number): void {
    const m = this.attach(set);
    const v = (m.get(num) ?? 0) + delta;
    if (v === 0) {
      if (m.delete(num)) this.budget?.give(1);
    } else m.set(num, v);
  }

  /** SETVAL/SETALL: the adjustment of (set, num) is forgotten. */
  clear(set: SemSet, num: number): void {
    if (this.adj.get(set)?.delete(num)) this.budget?.give(1);
  }

  /** The set is gone (IPC_RMID): nothing to apply for it. */
  forget(set: SemSet): void {
    const m = this.adj.get(set);
    if (m?.size) this.budget?.give(m.size);
    this.adj.delete(set);
  }

  entries(set: SemSet): [number, number][] {
    return [...(this.adj.get(set) ?? [])].sort((a, b) => a[0] - b[0]);
  }

  /** The handle is gone: run exit_sem's path on every set it is tied to. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const [set, m] of this.adj) {
      set.applyUndo(this, m);
      if (m.size) this.budget?.give(m.size);
    }
    this.adj.clear();
  }
}
