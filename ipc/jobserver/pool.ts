/**
 * A jobserver token pool: GNU make's jobserver pipe as a state machine that knows who holds each
 * token, so that tokens of a holder that dies come back instead of leaking (the pipe jobserver's
 * deadlock: rust-lang/cargo#14102, ziglang/zig#20274). Pure state: no I/O, no timers, no pids
 * looked up; the fs layer reports processes' deaths and what they left running.
 *
 * Tokens are bytes, as in the pipe: the pool starts with `size` bytes ('+', GNU make's), a take
 * hands out the oldest free bytes, and a give puts back the bytes given (the Rust jobserver crate
 * writes back the byte it read; make writes '+'). Free bytes stay in the order they came back.
 *
 * Accounting is per (holder, process): a holder is an open file (one open file description, shared
 * by a whole make tree when descriptors are inherited), the process the tgid of the request. A
 * token taken by process P through holder H is held by (H, P):
 *  - P gives a byte back (through any holder of this pool: make 4.4 reads and writes through two
 *    open files of one fifo): one of P's tokens, on H first, is returned. A process that holds
 *    none returns one of its nearest ancestor's (a subshell giving back what its shell took);
 *    otherwise the byte was never taken: it is refused (dropped, counted), and the pool never
 *    grows past its size.
 *  - P dies (processDied): its tokens come back. Jobs P started and left running (its orphans,
 *    found by the fs layer) first adopt one token each, so a killed sub-make's running recipes keep
 *    the tokens they run under until they end (orphanEnded); P's other tokens are free at once.
 *    An orphan that finds no token of P waits for the next token given back, before any reader:
 *    the parent make gives back the killed sub-make's slot at once, and that slot is the one the
 *    sub-make's last job ran under.
 *  - H is released (every descriptor closed): all tokens held through H come back.
 * Tokens taken back from a holder that did not give them back count as `reclaimed`.
 *
 * A take waits when no token is free (FIFO), unless non-blocking (EAGAIN, as a pipe's read on an
 * O_NONBLOCK descriptor: make sets its read end non-blocking and waits in pselect). A waiting take
 * is cancelled by cancel() (a signal) and takes nothing.
 */
import { Errno } from '../errno.js';

/** GNU make's token byte */
export const MAKE_TOKEN = 0x2b; // '+'

/** One open file of the pool, as the pool sees it (identity only). */
export type Holder = object;

export class TakeWaiter {
  /** set while queued */
  queued = true;
  constructor(
    readonly holder: Holder,
    readonly pid: number,
    readonly done: (errno: number, bytes: Buffer | null) => void,
  ) {}
}

/** A job left running by a dead holder, holding (or waiting for) one token of the pool. */
interface Orphan {
  readonly pid: number;
  /** the dead holder whose job it is */
  readonly of: number;
  /** the token it runs under; null while it waits for one */
  byte: number | null;
}

export interface PoolStatus {
  readonly size: number;
  readonly free: number;
  readonly holders: readonly { readonly pid: number; readonly tokens: number }[];
  readonly orphans: readonly { readonly pid: number; readonly of: number; readonly tokens: number }[];
  readonly waiters: readonly number[];
  readonly taken: number;
  readonly returned: number;
  readonly reclaimed: number;
  readonly refused: number;
}

export class TokenPool {
  /** free token bytes, oldest first */
  private free: number[];
  /** holder -> pid -> the bytes that process took through that holder (oldest first) */
  private readonly held = new Map<Holder, Map<number, number[]>>();
  /** pid -> how many tokens it holds through every holder (processDied's and status's index) */
  private readonly byPid = new Map<number, number>();
  private readonly waiters: TakeWaiter[] = [];
  /** orphans by pid, in the order they came (adoption order) */
  private readonly orphans = new Map<number, Orphan>();
  /** called after every change (poll wake-ups, status) */
  readonly watchers = new Set<() => void>();
  taken = 0;
  returned = 0;
  reclaimed = 0;
  refused = 0;
  /** ms of the last take or give (the file's mtime) */
  mtime = 0;

  constructor(
    readonly size: number,
    private readonly now: () => number = Date.now,
    tokenByte = MAKE_TOKEN,
  ) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`pool size ${size}`);
    this.free = new Array<number>(size).fill(tokenByte);
  }

  get freeTokens(): number {
    return this.free.length;
  }

  /** Tokens P holds through every holder of this pool. */
  tokensOf(pid: number): number {
    return this.byPid.get(pid) ?? 0;
  }

  /** The pids holding tokens (orphans apart). */
  holderPids(): IterableIterator<number> {
    return this.byPid.keys();
  }

  isOrphan(pid: number): boolean {
    return this.orphans.has(pid);
  }

  /**
   * Takes up to max (>= 1) free tokens for (holder, pid): their bytes; or, when none is free,
   * EAGAIN when nonBlocking, else a waiter that done() completes with one token.
   */
  take(holder: Holder, pid: number, max: number, nonBlocking: boolean, done: (errno: number, bytes: Buffer | null) => void): Buffer | TakeWaiter | typeof Errno.EAGAIN {
    if (this.free.length) {
      const n = Math.min(Math.max(1, max), this.free.length);
      const bytes = this.free.splice(0, n);
      for (const b of bytes) this.hold(holder, pid, b);
      this.taken += n;
      this.changed();
      return Buffer.from(bytes);
    }
    if (nonBlocking) return Errno.EAGAIN;
    const w = new TakeWaiter(holder, pid, done);
    this.waiters.push(w);
    this.changed();
    return w;
  }

  /** A waiting take ends with errno (EINTR, EAGAIN) and takes nothing; no-op once completed. */
  cancel(w: TakeWaiter, errno: number): void {
    if (!w.queued) return;
    w.queued = false;
    this.waiters.splice(this.waiters.indexOf(w), 1);
    this.changed();
    w.done(errno, null);
  }

  /**
   * pid gives bytes back through holder. ancestors(): pid's ancestors, nearest first (asked only
   * when pid itself holds nothing). Returns how many bytes were returned and refused.
   */
  give(holder: Holder, pid: number, bytes: Uint8Array, ancestors: () => readonly number[]): { returned: number; refused: number } {
    let returned = 0;
    let line: readonly number[] | null = null;
    for (const b of bytes) {
      let from = this.tokensOf(pid) ? pid : -1;
      if (from < 0) {
        line ??= ancestors();
        from = line.find((a) => this.tokensOf(a) > 0) ?? -1;
      }
      if (from < 0) break;
      this.unhold(holder, from, b);
      this.free.push(b);
      returned++;
    }
    const refused = bytes.length - returned;
    this.returned += returned;
    this.refused += refused;
    if (returned) this.serve();
    this.changed();
    return { returned, refused };
  }

  /**
   * pid is gone: its tokens come back. orphans: the processes it started that still run (jobs left
   * without their make); each keeps, or waits for, one token until orphanEnded. Returns how many
   * tokens pid held.
   */
  processDied(pid: number, orphans: readonly number[] = []): number {
    const bytes: number[] = [];
    for (const [holder, pids] of this.held) {
      const mine = pids.get(pid);
      if (!mine) continue;
      bytes.push(...mine);
      pids.delete(pid);
      if (!pids.size) this.held.delete(holder);
    }
    this.byPid.delete(pid);
    const held = bytes.length;
    this.reclaimed += held;
    for (const o of orphans) {
      if (this.orphans.has(o) || o === pid) continue;
      this.orphans.set(o, { pid: o, of: pid, byte: bytes.length ? bytes.shift()! : null });
    }
    this.free.push(...bytes);
    // An orphan of this pid that was one of its holders' jobs is itself covered above; the dead
    // pid may also have been an orphan: its token (or its wait) goes with it.
    this.orphanEnded(pid, false);
    this.serve();
    this.changed();
    return held;
  }

  /**
   * Jobs found running without their make (it died unseen: a sub-make that never took a token),
   * noticed when `of` gives a token back: each waits for one token, and is served before any
   * reader, so the token being given back (the dead sub-make's slot) goes to its last job.
   */
  addOrphans(of: number, pids: readonly number[]): void {
    for (const o of pids) if (!this.orphans.has(o)) this.orphans.set(o, { pid: o, of, byte: null });
  }

  /** The pids holding tokens through holder. */
  pidsOf(holder: Holder): number[] {
    return [...(this.held.get(holder)?.keys() ?? [])];
  }

  /** An orphan ended: its token is free again (or its wait for one ends). */
  orphanEnded(pid: number, notify = true): void {
    const o = this.orphans.get(pid);
    if (!o) return;
    this.orphans.delete(pid);
    if (o.byte !== null) this.free.push(o.byte);
    if (notify) {
      this.serve();
      this.changed();
    }
  }

  /**
   * holder's file is released: every token taken through it and not given back comes back
   * (reclaimed); its waiting takes cannot exist (a waiting request keeps the file open).
   */
  release(holder: Holder): number {
    const pids = this.held.get(holder);
    if (!pids) return 0;
    this.held.delete(holder);
    let n = 0;
    for (const [pid, bytes] of pids) {
      n += bytes.length;
      this.free.push(...bytes);
      const left = this.tokensOf(pid) - bytes.length;
      if (left) this.byPid.set(pid, left);
      else this.byPid.delete(pid);
    }
    this.reclaimed += n;
    this.serve();
    this.changed();
    return n;
  }

  status(): PoolStatus {
    return {
      size: this.size,
      free: this.free.length,
      holders: [...this.byPid].map(([pid, tokens]) => ({ pid, tokens })),
      orphans: [...this.orphans.values()].map((o) => ({ pid: o.pid, of: o.of, tokens: o.byte === null ? 0 : 1 })),
      waiters: this.waiters.map((w) => w.pid),
      taken: this.taken,
      returned: this.returned,
      reclaimed: this.reclaimed,
      refused: this.refused,
    };
  }

  /** Free tokens go to orphans waiting for one first, then to waiting takes, one each, in order. */
  private serve(): void {
    for (const o of this.orphans.values()) {
      if (!this.free.length) return;
      if (o.byte === null) o.byte = this.free.shift()!;
    }
    while (this.free.length && this.waiters.length) {
      const w = this.waiters.shift()!;
      w.queued = false;
      const b = this.free.shift()!;
      this.hold(w.holder, w.pid, b);
      this.taken++;
      w.done(0, Buffer.of(b));
    }
  }

  private hold(holder: Holder, pid: number, byte: number): void {
    let pids = this.held.get(holder);
    if (!pids) this.held.set(holder, (pids = new Map()));
    const mine = pids.get(pid);
    if (mine) mine.push(byte);
    else pids.set(pid, [byte]);
    this.byPid.set(pid, this.tokensOf(pid) + 1);
    this.mtime = this.now();
  }

  /** One of pid's tokens, through holder if it holds one there, else through any holder. */
  private unhold(holder: Holder, pid: number, byte: number): void {
    let through = this.held.get(holder)?.get(pid) ? holder : null;
    if (!through) for (const [h, pids] of this.held) if (pids.get(pid)) through = h;
    const pids = this.held.get(through!)!;
    const mine = pids.get(pid)!;
    const i = mine.indexOf(byte);
    mine.splice(i >= 0 ? i : 0, 1);
    if (!mine.length) pids.delete(pid);
    if (!pids.size) this.held.delete(through!);
    const left = this.tokensOf(pid) - 1;
    if (left) this.byPid.set(pid, left);
    else this.byPid.delete(pid);
    this.mtime = this.now();
  }

  private changed(): void {
    for (const w of [...this.watchers]) w();
  }
}
