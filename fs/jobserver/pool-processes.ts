/**
 * The processes of one pool, for its state machine (ipc/jobserver/pool.ts): each process that holds
 * tokens, and each orphaned job, is watched through a pidfd (fs/kinds/process.ts), so the pool
 * learns of its end the moment the kernel wakes the pidfd: no polling, and never a later process
 * that reuses the pid.
 *
 * A dead holder's orphans. When a make is SIGKILLed, the jobs it started keep running: the kernel
 * gives them to the nearest child subreaper among their ancestors (PR_SET_CHILD_SUBREAPER) or to
 * init, before the make's pidfd wakes (exit_notify reparents, then notifies). `ipcfs jobserver`
 * is such a subreaper and registers as the pool's reaper when it creates the pool: a dead holder
 * that descends from the reaper left as orphans the reaper's children that still run (not
 * zombies), were started after the holder (not before its clock tick), were not among its
 * ancestors when the pool first saw it (the command the reaper runs is one), and belong to the
 * holder's session (a job that made itself a daemon with setsid is not one). The same search
 * runs when a holder gives a token back (beforeGive): a sub-make that never took a token is
 * unknown to the pool, and its parent gives back the slot it ran in as soon as it reaps it, while
 * the sub-make's jobs still run.
 * Over-counting only delays tokens (every make keeps its implicit slot, so the build goes on);
 * under-counting would let the pool run more jobs than its size. Without a reaper, a dead
 * holder's tokens are free at once (and GNU make's own pipe over-runs by that slot as well).
 */
import type { TokenPool, Holder } from '../../ipc/jobserver/pool.js';
import type { IpcQuota } from '../../ipc/limits.js';
import type { Charge } from '../../ipc/quota.js';
import type { Logger } from 'pino';
import { ProcessRef } from '../kinds/process.js';
import { ancestorsOf, mainThreadChildrenOf, procStat } from './procfs.js';

interface Tracked {
  readonly ref: ProcessRef;
  readonly starttime: number;
  readonly session: number;
  /** descends from the pool's reaper (its orphans go there) */
  readonly underReaper: boolean;
  /**
   * its ancestors when first seen: none of them is ever its orphan. The reaper's own child (the
   * command `ipcfs jobserver` runs) is one, and start times are clock ticks (10 ms): a holder that
   * command forked at once starts in the same tick, so the start-time test alone takes it for one.
   */
  readonly ancestors: ReadonlySet<number>;
  readonly role: 'holder' | 'orphan';
  /** the pidfd, charged as one of the daemon's open files to a uid (uid-handles) */
  readonly charge: Charge;
}

/** Processes that held tokens and hold none now stay watched up to this many (re-watching per job costs /proc reads). */
const IDLE_KEPT = 64;

export class PoolProcesses {
  private readonly tracked = new Map<number, Tracked>();
  /** holders without tokens, oldest first (kept watched, bounded) */
  private readonly idle = new Set<number>();
  /** the process that adopts a dead holder's orphaned jobs (`ipcfs jobserver`), while it lives */
  private reaper: { pid: number; ref: ProcessRef } | null = null;

  /**
   * quota: each watched process costs the daemon a pidfd, charged as an open file (`handles`,
   * `uid-handles`) to the uid of the process that took tokens, so that no user can exhaust the
   * daemon's descriptors through many pools and many processes. owner: the uid charged for the
   * pool's orphans (its reaper's build).
   */
  constructor(
    private readonly pool: TokenPool,
    private readonly log: Logger,
    private readonly quota: IpcQuota,
    private readonly owner: number,
  ) {}

  get reaperPid(): number | null {
    return this.reaper?.pid ?? null;
  }

  /** pid (a child subreaper) adopts the orphans of this pool's dead holders that descend from it. */
  setReaper(pid: number): void {
    const ref = ProcessRef.of(pid);
    if (!ref) return;
    this.reaper?.ref.close();
    this.reaper = { pid, ref };
    ref.onExit(() => {
      if (this.reaper?.ref !== ref) return;
      ref.close();
      this.reaper = null;
    });
  }

  /**
   * pid (of uid) is about to take tokens. Its pidfd is opened now, while the process is provably
   * alive (it waits in this request), and charged to uid: past uid-handles the take is refused
   * (EMFILE; ENFILE past handles) before it takes anything. A watched pid whose pidfd has already
   * woken, its exit not yet delivered by the main loop, is a process that died: its death is
   * handled first, so that a later process reusing its pid never inherits its tokens.
   */
  admit(pid: number, uid: number): void {
    if (pid <= 0) return;
    this.flushDeath(pid);
    if (this.tracked.has(pid)) return;
    this.idle.delete(pid);
    this.watch(pid, 'holder', uid, true);
  }

  /** A death the kernel has signalled through pid's pidfd and the main loop has not delivered yet. */
  private flushDeath(pid: number): void {
    // an orphan too goes the dead holder's way (watch's onExit)
    if (this.tracked.get(pid)?.ref.ended) this.died(pid);
  }

  /**
   * After every change of the pool: watch each process that holds tokens now; stop watching the
   * ones that hold none (up to IDLE_KEPT of them stay watched).
   */
  sync(): void {
    for (const pid of this.pool.holderPids()) {
      this.idle.delete(pid);
      // served while not watched (a waiter forgotten while it waited): charged to the pool's owner
      if (pid > 0 && !this.tracked.has(pid)) this.watch(pid, 'holder', this.owner, false);
    }
    for (const [pid, t] of this.tracked) {
      if (t.role !== 'holder' || this.pool.tokensOf(pid) || this.idle.has(pid)) continue;
      this.idle.add(pid);
    }
    for (const pid of this.idle) {
      if (this.idle.size <= IDLE_KEPT) break;
      this.idle.delete(pid);
      this.forget(pid);
    }
  }

  /**
   * holder's file is released. A process that holds tokens through it and has ended (its pidfd
   * woke, or is about to) goes the dead holder's way first, so its orphans are found; the rest of
   * the file's tokens come back.
   */
  release(holder: Holder): void {
    for (const pid of this.pool.pidsOf(holder)) {
      const t = this.tracked.get(pid);
      if (t?.ref.ended) this.died(pid);
    }
    const n = this.pool.release(holder);
    if (n) this.log.info({ tokens: n }, 'jobserver: an open file released with tokens taken and not given back: they are free again');
    this.sync();
  }

  /**
   * pid is about to give tokens back. If a job of it was killed unseen (a sub-make that never took
   * a token of its own: make gives back its slot when it reaps it), that job's own jobs run on as
   * the reaper's children: they become orphans now, so the slot being given back goes to them.
   */
  beforeGive(pid: number): void {
    this.flushDeath(pid);
    const t = this.tracked.get(pid);
    if (!t) return;
    const found = this.orphansOf(pid, t);
    if (!found.length) return;
    this.pool.addOrphans(pid, found);
    this.log.info({ pid, orphans: found }, 'jobserver: jobs left running by a killed make keep a token each until they end');
    for (const o of found) if (!this.tracked.has(o)) this.watch(o, 'orphan', this.owner, false);
  }

  /** Stops every watch (the pool is gone for good). */
  close(): void {
    for (const pid of [...this.tracked.keys()]) this.forget(pid);
    this.reaper?.ref.close();
    this.reaper = null;
  }

  /**
   * Watches pid through a pidfd charged to uid. Past the quota: refuse (throws, changing nothing)
   * when the request can still be refused, else the process is handled as one that cannot be
   * watched: a holder's tokens come back, an orphan keeps none.
   */
  private watch(pid: number, role: Tracked['role'], uid: number, refuse: boolean): void {
    let charge: Charge | null = null;
    try {
      charge = this.chargeWatch(uid);
    } catch (err) {
      if (refuse) throw err;
      this.log.warn({ pid, uid, err: (err as Error).message }, 'jobserver: cannot watch a process (open files limit): its tokens come back now');
    }
    const stat = charge ? procStat(pid) : null;
    const ref = stat && stat.state !== 'Z' ? ProcessRef.of(pid) : null;
    if (!stat || !ref) {
      charge?.release();
      // gone between its request and now
      if (role === 'holder') this.died(pid);
      else this.pool.orphanEnded(pid);
      return;
    }
    const ancestors = new Set(this.reaper ? ancestorsOf(pid) : []);
    const underReaper = this.reaper !== null && ancestors.has(this.reaper.pid);
    this.tracked.set(pid, { ref, starttime: stat.starttime, session: stat.session, underReaper, ancestors, role, charge: charge! });
    // an orphan that ends goes the dead holder's way too: it may be a make whose own jobs run on
    // (orphaned in their turn), and it may have taken tokens since it was first seen as an orphan
    ref.onExit(() => {
      if (this.tracked.get(pid)?.ref !== ref) return;
      this.died(pid);
    });
  }

  /**
   * One pidfd charged to uid. Past the limit, this pool's deaths the main loop has not delivered yet
   * (their pidfds woke: the quota they hold is about to come back) are handled, its idle watches
   * dropped, and it tries again.
   */
  private chargeWatch(uid: number): Charge {
    try {
      return this.quota.charge(uid, { handles: 1 }, 'jobserver: watch a process that takes tokens');
    } catch (err) {
      for (const pid of [...this.tracked.keys()]) this.flushDeath(pid);
      for (const pid of [...this.idle]) this.forget(pid);
      return this.quota.charge(uid, { handles: 1 }, 'jobserver: watch a process that takes tokens');
    }
  }

  private forget(pid: number): void {
    this.tracked.get(pid)?.charge.release();
    this.tracked.get(pid)?.ref.close();
    this.tracked.delete(pid);
    this.idle.delete(pid);
  }

  private died(pid: number): void {
    const t = this.tracked.get(pid);
    this.forget(pid);
    const orphans = t ? this.orphansOf(pid, t) : [];
    const n = this.pool.processDied(pid, orphans);
    if (n || orphans.length) this.log.info({ pid, tokens: n, orphans }, 'jobserver: a holder ended with tokens taken: they come back (its orphaned jobs keep one each until they end)');
    for (const o of orphans) if (!this.tracked.has(o)) this.watch(o, 'orphan', this.owner, false);
    this.sync();
  }

  private orphansOf(pid: number, t: Tracked): number[] {
    if (!this.reaper || !t.underReaper) return [];
    const out: number[] = [];
    // one read per give while the build runs: the reaper's main thread has all its orphans
    for (const c of mainThreadChildrenOf(this.reaper.pid)) {
      if (c === pid || t.ancestors.has(c) || this.pool.isOrphan(c)) continue;
      const s = procStat(c);
      if (s && s.state !== 'Z' && s.starttime >= t.starttime && s.session === t.session) out.push(c);
    }
    return out;
  }
}
