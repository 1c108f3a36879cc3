/**
 * Open files by fh: each handle with the quota charge it holds (one of the opener's open files)
 * and the kernel poll handle (kh) waiting for its wake-up. A handle lives from OPEN or CREATE to
 * its RELEASE, or to the end of the session.
 */
import type { Charge } from '../../ipc/quota.js';
import { NO_EARLY_REPLIES, type EarlyReplies } from '../fuse/early-replies.js';
import { Errno, fail } from '../fuse/errno.js';
import type { FileHandle, FsContext } from '../tree/node.js';

export interface OpenFile {
  readonly handle: FileHandle;
  /** the kernel poll handle of the latest POLL with FUSE_POLL_SCHEDULE_NOTIFY not woken yet */
  pollKh: number | null;
  /** one open file of the opener's quota, given back once at release */
  readonly charge: Charge;
}

export class OpenFiles {
  private readonly files = new Map<number, OpenFile>();
  /** The session's early replies: handles bind their fh to them when registered. */
  early: EarlyReplies = NO_EARLY_REPLIES;

  /**
   * nextFh: fh numbers (shared with directory streams, so an fh names one thing in the logs);
   * wakePoll: sends FUSE_NOTIFY_POLL for kh.
   */
  constructor(private readonly nextFh: () => number, private readonly wakePoll: (kh: number) => void) {}

  get size(): number {
    return this.files.size;
  }

  /** Gives handle an fh; from now on the handle holds charge. The handle may bind fh to early replies. */
  add(handle: FileHandle, charge: Charge): number {
    const fh = this.nextFh();
    this.files.set(fh, { handle, pollKh: null, charge });
    handle.opened?.(fh, this.early);
    return fh;
  }

  /** The open file fh; EBADF for one released (or never opened). */
  get(fh: number): OpenFile {
    const f = this.files.get(fh);
    if (!f) fail(Errno.EBADF, `unknown file handle ${fh}`);
    return f;
  }

  /**
   * Records kh as the file's poll handle and returns the wake for it: the first call sends the
   * notification, later calls and a wake replaced by a newer POLL send nothing.
   */
  pollWake(f: OpenFile, kh: number): () => void {
    f.pollKh = kh;
    return () => {
      if (f.pollKh !== kh) return; // a newer poll replaced it
      f.pollKh = null;
      this.wakePoll(kh);
    };
  }

  /**
   * The last reference to fh is gone: it leaves the table and the early replies, its charge goes
   * back, then the handle releases its own state. A handle's failure is logged: the fh is gone
   * anyway. An unknown fh does nothing.
   */
  release(fh: number, ctx: FsContext): void {
    const f = this.files.get(fh);
    if (!f) return;
    this.files.delete(fh);
    this.early.unbind(fh);
    f.charge.release();
    try {
      f.handle.release(ctx);
    } catch (err) {
      ctx.log.error({ err, fh }, 'release failed; the handle is gone anyway');
    }
  }

  /** The session ended: every handle is released, as the kernel would have. */
  releaseAll(ctx: FsContext): void {
    for (const fh of this.files.keys()) this.release(fh, ctx);
  }
}
