/**
 * Framing: how the bytes of write(2) calls become commands. docs/protocol.md ("Framing: how writes
 * become commands") is the contract; every command file (object files, `.new`) frames through here.
 *
 * Why a command is not simply "one WRITE request": stdio-buffered writers (bash's echo, printf,
 * fprintf) flush a long line in several write(2) calls cut at their buffer size (st_blksize, 4096
 * here), and the kernel cuts one write(2) into WRITE requests of at most max_write bytes (see
 * fs/fuse/session.ts: max_write and max_pages are set so that any legal command written with one
 * write(2) arrives in one WRITE). The rule, per writer thread:
 *
 *  1. A command ends at a newline. A write whose last byte is a newline completes its writer's
 *     command (held bytes + this write); a newline anywhere else (two commands in one write) is
 *     EINVAL and the writer's whole command fails.
 *  2. A write without a newline, shorter than PIPE_BUF (4096) and with nothing held for its writer
 *     is a whole command: write(fd, "post", 4) works.
 *  3. Any other write without a newline is held and returns its full length: it is the start or a
 *     middle piece of a longer command.
 *  4. A command longer than COMMAND_MAX bytes (newline included) fails with EMSGSIZE and nothing of
 *     it runs; the writer's further writes up to and including its next newline belong to that
 *     failed command and fail with EMSGSIZE too, so no tail of it ever runs as a command.
 *  5. Held bytes belong to the writer thread (the request's pid, a thread id), so threads and
 *     processes sharing one open file description never splice their commands together. A handle
 *     holds at most HELD_MAX bytes for all its writers (past it: ENOBUFS, handled like rule 4);
 *     everything held is dropped on RELEASE.
 *  6. A command that carries a payload (a kind's payload verbs, e.g. a message queue's `send`) is
 *     one write: its first line is the command and the rest of that write, any bytes, newlines
 *     included, is the payload (takePayload). It applies only to a write that starts a command
 *     (nothing held or failed for its writer); a payload is at most what one WRITE carries.
 */
import { Errno, fail } from '../../ipc/errno.js';

/**
 * The longest command, newline included: room for the longest legal one, `setall` of SEMMSL
 * (32000) values of up to 5 digits (about 192 KB), with a margin. Command files report it as their
 * size (see command-file.ts: writes up to the size run in parallel in the kernel).
 */
export const COMMAND_MAX = 256 * 1024;

/** PIPE_BUF: a shorter write without a newline (and nothing held) is a whole command. */
export const WHOLE_WRITE_MAX = 4096;

/** What one handle may hold for all its writers together: four longest commands. */
export const HELD_MAX = 4 * COMMAND_MAX;

/**
 * What one uid's writers may hold on all handles together (64 longest commands), and what all
 * writers may hold together. HELD_MAX alone bounds a handle, not a user: 1024 handles (uid-handles)
 * with 1 MiB held each would hold 1 GiB for one unprivileged uid. Root is exempt from the per-uid
 * limit, as from the other per-uid limits (ipc/quota.ts).
 */
export const UID_HELD_MAX = 64 * COMMAND_MAX;
export const ALL_HELD_MAX = 1024 * COMMAND_MAX;

/** Bytes held by the framers of every handle of the daemon, in total and per writer uid. */
export class HeldBudget {
  private total = 0;
  private readonly byUid = new Map<number, number>();

  constructor(readonly uidMax = UID_HELD_MAX, readonly allMax = ALL_HELD_MAX) {}

  get used(): number {
    return this.total;
  }

  usedBy(uid: number): number {
    return this.byUid.get(uid) ?? 0;
  }

  /** Whether uid may hold n more bytes. */
  fits(uid: number, n: number): boolean {
    return this.total + n <= this.allMax && (uid === 0 || this.usedBy(uid) + n <= this.uidMax);
  }

  move(uid: number, n: number): void {
    this.total += n;
    const v = this.usedBy(uid) + n;
    if (v) this.byUid.set(uid, v);
    else this.byUid.delete(uid);
  }
}

/** The daemon's one budget (one daemon per process). */
export const DAEMON_HELD_BUDGET = new HeldBudget();

/**
 * Writers whose command failed before its newline, remembered per handle so that the rest of
 * that command is swallowed. Past this many the oldest is forgotten (a writer that went on writing
 * a failed command after that many other failures could then have its tail taken as a command).
 */
export const MAX_FAILED_WRITERS = 1024;

const NEWLINE = 0x0a;

interface Held {
  chunks: Buffer[];
  length: number;
  /** the writer's uid, charged in the budget for these bytes */
  uid: number;
}

/** One handle's framing state: the partial commands of its writers. */
export class CommandFramer {
  /** writer thread -> the start of its command (each at least WHOLE_WRITE_MAX, so at most HELD_MAX / WHOLE_WRITE_MAX writers) */
  private readonly held = new Map<number, Held>();
  /** writer thread -> errno of its failed command, until its newline */
  private readonly failed = new Map<number, number>();
  private heldTotal = 0;

  constructor(private readonly budget: HeldBudget = DAEMON_HELD_BUDGET) {}

  /**
   * Takes one WRITE of writer thread `tid` (of user `uid`, charged for what is held). Returns the complete command it ends (without the
   * newline), or null when the bytes are held (the write then returns its full length). Throws
   * EINVAL, EMSGSIZE or ENOBUFS; after a throw nothing of the writer's command is kept.
   */
  take(tid: number, data: Buffer, uid = 0): Buffer | null {
    const nl = data.indexOf(NEWLINE);
    const ends = nl >= 0 && nl === data.length - 1;
    if (nl >= 0 && !ends) {
      this.drop(tid);
      this.failed.delete(tid);
      fail(Errno.EINVAL, 'a newline before the end of a write: one command per write, ending at its newline');
    }
    const failedWith = this.failed.get(tid);
    if (failedWith !== undefined) {
      if (ends) this.failed.delete(tid);
      fail(failedWith, 'the rest of a command that failed');
    }
    const h = this.held.get(tid);
    if ((h?.length ?? 0) + data.length > COMMAND_MAX) this.failCommand(tid, ends, Errno.EMSGSIZE, `command longer than ${COMMAND_MAX} bytes`);
    if (ends) {
      this.drop(tid);
      const body = data.subarray(0, data.length - 1);
      return h ? Buffer.concat([...h.chunks, body]) : body;
    }
    if (!h && data.length < WHOLE_WRITE_MAX) return data;
    if (this.heldTotal + data.length > HELD_MAX) this.failCommand(tid, false, Errno.ENOBUFS, `more than ${HELD_MAX} bytes of partial commands on this file`);
    const held = h ?? { chunks: [], length: 0, uid };
    if (!this.budget.fits(held.uid, data.length)) {
      this.failCommand(tid, false, Errno.ENOBUFS, `partial commands past ${this.budget.uidMax} bytes for uid ${held.uid} or ${this.budget.allMax} for everyone`);
    }
    held.chunks.push(data);
    held.length += data.length;
    this.heldTotal += data.length;
    this.budget.move(held.uid, data.length);
    this.held.set(tid, held);
    return null;
  }

  /**
   * Rule 6: when this write starts a command (nothing held or failed for tid) and its first line
   * is one `isPayloadCommand` accepts, the line (without its newline) and the rest of the write.
   * Otherwise null: the write is framed by take().
   */
  takePayload(tid: number, data: Buffer, isPayloadCommand: (line: Buffer) => boolean): { line: Buffer; payload: Buffer } | null {
    if (this.held.has(tid) || this.failed.has(tid)) return null;
    const nl = data.indexOf(NEWLINE);
    if (nl < 0) return null;
    const line = data.subarray(0, nl);
    return isPayloadCommand(line) ? { line, payload: data.subarray(nl + 1) } : null;
  }

  /** Nothing held and no failed command's rest expected: the next write is read on its own. */
  get idle(): boolean {
    return this.held.size === 0 && this.failed.size === 0;
  }

  /** Bytes held for all writers. */
  get heldBytes(): number {
    return this.heldTotal;
  }

  /** RELEASE: the handle is gone, and with it every partial command. */
  clear(): void {
    for (const h of this.held.values()) this.budget.move(h.uid, -h.length);
    this.held.clear();
    this.failed.clear();
    this.heldTotal = 0;
  }

  /** The writer's command fails whole; unless this write ended it, its rest is swallowed later. */
  private failCommand(tid: number, ends: boolean, errno: number, message: string): never {
    this.drop(tid);
    if (!ends) {
      if (this.failed.size >= MAX_FAILED_WRITERS) this.failed.delete(this.failed.keys().next().value!);
      this.failed.set(tid, errno);
    }
    fail(errno, message);
  }

  private drop(tid: number): void {
    const h = this.held.get(tid);
    if (!h) return;
    this.heldTotal -= h.length;
    this.budget.move(h.uid, -h.length);
    this.held.delete(tid);
  }
}
