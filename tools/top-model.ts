/**
 * What `ipcfs top` shows, independent of where it came from (tools/top-source.ts reads the mount)
 * and of how it is drawn (tools/top-render.ts): one row per object, and the rule that turns two
 * snapshots into operations per second.
 */

/** The kinds, in the order the view groups them (and `k` cycles through them). */
export const KINDS = ['sem', 'msg', 'shm', 'psem', 'pmq', 'pshm', 'pool'] as const;
export type Kind = (typeof KINDS)[number];

export const isKind = (s: string): s is Kind => (KINDS as readonly string[]).includes(s);

/** Someone holding part of an object: an undo adjustment, a held message, pool tokens. */
export interface TopHolder {
  pid: number;
  comm: string;
  /** what it holds, in a few words ("undo sem 0 +1", "held msg 12 B", "2 tokens") */
  what: string;
}

/**
 * What ops/s is derived from. An exact event counter when the object has one (pools: taken +
 * returned + reclaimed); otherwise levels whose changes are operations (semaphore values, queue
 * lengths, attach counts) and stamps that change on each operation (otime, stime, rtime): the
 * number of operations in an interval is at least the sum of the levels' changes and at least the
 * number of stamps that changed, so the larger of the two is shown (a lower bound: a wait and a
 * post within one interval cancel out in the value and move otime once).
 */
export interface Activity {
  counter?: number;
  levels: readonly number[];
  stamps: readonly (string | number)[];
}

export interface TopRow {
  kind: Kind;
  /** System V: the id; POSIX objects and pools: the name with its leading '/' */
  id: string;
  /** System V key as a signed 32-bit number; null for POSIX objects and pools */
  key: number | null;
  owner: string;
  /** mode & 0777 */
  perms: number;
  /** the object's state in a few words: values, queue depth, size and attaches, free tokens */
  value: string;
  /** processes sleeping on the object */
  waiters: number;
  holders: readonly TopHolder[];
  activity: Activity;
}

/** One reading of the mount; at: milliseconds on a monotonic clock. */
export interface Snapshot {
  at: number;
  rows: readonly TopRow[];
}

/** Identity of an object across snapshots. */
export const rowKey = (r: Pick<TopRow, 'kind' | 'id'>): string => `${r.kind}:${r.id}`;

/** Operations between two readings of one object (see Activity). */
export function opsBetween(prev: Activity, cur: Activity): number {
  if (prev.counter !== undefined && cur.counter !== undefined) return Math.max(0, cur.counter - prev.counter);
  let moved = 0;
  if (prev.levels.length === cur.levels.length) {
    for (let i = 0; i < cur.levels.length; i++) moved += Math.abs(cur.levels[i]! - prev.levels[i]!);
  }
  let stamped = 0;
  for (let i = 0; i < cur.stamps.length; i++) if (cur.stamps[i] !== prev.stamps[i]) stamped++;
  return Math.max(moved, stamped);
}

/**
 * Operations per second of each object of cur that prev also had (by rowKey); objects new in
 * cur have none yet (shown as '-').
 */
export function ratesBetween(prev: Snapshot | null, cur: Snapshot): Map<string, number> {
  const rates = new Map<string, number>();
  if (!prev) return rates;
  const seconds = (cur.at - prev.at) / 1000;
  if (!(seconds > 0)) return rates;
  const before = new Map(prev.rows.map((r) => [rowKey(r), r]));
  for (const r of cur.rows) {
    const p = before.get(rowKey(r));
    if (p) rates.set(rowKey(r), opsBetween(p.activity, r.activity) / seconds);
  }
  return rates;
}
