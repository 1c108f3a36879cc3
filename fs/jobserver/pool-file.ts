/**
 * A jobserver pool as a file (docs/protocol.md, "Jobserver pools"): GNU make's jobserver protocol
 * on a regular file, over ipc/jobserver/pool.ts. Not a command stream: its bytes are tokens.
 *
 *  - read(2) of n bytes takes up to n free tokens (at least one) and returns their bytes; with none
 *    free it waits (one token when it comes, in arrival order), or fails with EAGAIN when the
 *    descriptor is non-blocking (the READ's flags: fcntl(F_SETFL, O_NONBLOCK) after open counts, as
 *    make does it). It never returns 0 (end of file): make treats that as a lost jobserver. A signal
 *    ends the wait (EINTR) and takes nothing; SIGKILL ends it at once.
 *  - write(2) gives back one token per byte (make writes '+'; the Rust crate the byte it read) and
 *    always succeeds: a byte that returns no token (never taken) is dropped and counted as refused,
 *    because make treats a failed write as fatal.
 *  - poll(2): POLLIN when a token is free, POLLOUT always (a give never waits).
 *  - Opening never blocks (a FIFO's open does); permission is checked at open.
 *  - The status is jobserver/status/<name> (reading the pool itself takes tokens).
 *
 * Kernel behaviour relied on: the open is a direct-I/O stream (tree/command-file.ts), so processes
 * that share one open file description (a whole make tree) read, block and write in it at once,
 * and every read reaches the daemon with the caller's pid and the descriptor's current f_flags;
 * with FOPEN_NOFLUSH (and no writeback cache) fuse_flush returns before sending FLUSH, so closing
 * a descriptor costs the daemon nothing until the last one goes (RELEASE).
 */
import { Errno, fail } from '../../ipc/errno.js';
import { TakeWaiter, type TokenPool } from '../../ipc/jobserver/pool.js';
import type { IpcPerm } from '../../ipc/semaphores/perms.js';
import { ObjectFile, type FileObject } from '../kinds/object-file.js';
import { PollWatch, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from '../kinds/poll-watch.js';
import { commOf } from '../kinds/process.js';
import { statusTime } from '../kinds/tokens.js';
import { DONE_NOW, nonBlocking, waitCall } from '../kinds/wait-call.js';
import { COMMAND_FILE_MODE } from '../tree/command-file.js';
import type { FileHandle, FsContext, OpenMode } from '../tree/node.js';
import { escapeWord } from '../tree/text-file.js';
import type { PoolProcesses } from './pool-processes.js';
import { ancestorsOf, cmdlineOf } from './procfs.js';

/** Control bytes (a newline would end the status line) as \\xNN; everything else as it is. */
const escapeControls = (s: string): string => s.replace(/[\x00-\x1f\x7f\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

export class PoolObject implements FileObject {
  readonly label: [string, string];
  unlinked = false;
  /** a pool is never "removed" for its users: an unlinked one keeps working for open files */
  readonly removed = false;
  ctime = Date.now();
  /** open files not released yet: the pool's processes are watched until the last goes after rm */
  opens = 0;

  constructor(
    readonly name: string,
    readonly pool: TokenPool,
    readonly processes: PoolProcesses,
    readonly perm: IpcPerm,
    private readonly gone: () => void,
  ) {
    this.label = ['name', name];
  }

  /** rm: the name goes; open files keep the pool until the last is released. */
  remove(): void {
    if (this.unlinked) return;
    this.unlinked = true;
    this.gone();
    if (!this.opens) this.processes.close();
  }

  closed(): void {
    if (--this.opens === 0 && this.unlinked) this.processes.close();
  }

  get otime(): number {
    return this.pool.mtime;
  }
  get watchers(): Set<() => void> {
    return this.pool.watchers;
  }

  status(): string {
    const s = this.pool.status();
    const lines = [
      `name: ${escapeWord(this.name)}`,
      `owner: ${this.perm.uid}`,
      `group: ${this.perm.gid}`,
      `perms: ${(this.perm.mode & 0o777).toString(8).padStart(3, '0')}`,
      `size: ${s.size}`,
      `free: ${s.free}`,
      `held: ${s.holders.reduce((n, h) => n + h.tokens, 0) + s.orphans.reduce((n, o) => n + o.tokens, 0)}`,
      // the command line last, spaces kept (the rest of the line is it), control bytes escaped
      ...s.holders.map((h) => `holder: pid=${h.pid} tokens=${h.tokens} comm=${escapeWord(commOf(h.pid))} cmdline=${escapeControls(cmdlineOf(h.pid))}`),
      ...s.orphans.map((o) => `orphan: pid=${o.pid} of=${o.of} tokens=${o.tokens} comm=${escapeWord(commOf(o.pid))}`),
      `waiting: ${s.waiters.join(' ')}`.trimEnd(),
      `taken: ${s.taken}`,
      `returned: ${s.returned}`,
      `reclaimed: ${s.reclaimed}`,
      `refused: ${s.refused}`,
      `reaper: ${this.processes.reaperPid ?? 'none'}`,
      `mtime: ${statusTime(this.pool.mtime)}`,
      `ctime: ${statusTime(this.ctime)}`,
    ];
    if (this.unlinked) lines.push('unlinked: yes');
    return `${lines.join('\n')}\n`;
  }
}

export class PoolFile extends ObjectFile<PoolObject> {
  /** jobserver/status/<name> (fs/kinds/status-dir.ts) */
  statusText(): string {
    return this.obj.status();
  }

  open(_ctx: FsContext, _flags: number): FileHandle {
    this.obj.opens++;
    return new PoolHandle(this.obj);
  }
}


/** One open file of a pool: a holder of tokens for the processes that use it. */
export class PoolHandle implements FileHandle {
  /**
   * A command file's open (a direct-I/O stream, no FLUSH on close): builds close a pool
   * descriptor in every exec of a job (make marks it close-on-exec) and on every exit; a FLUSH
   * sent from inside exec once stalled the mount (tree/command-file.ts, node.ts OpenMode.noFlush).
   */
  readonly mode: OpenMode = COMMAND_FILE_MODE;
  private readonly pollWatch: PollWatch;

  constructor(private readonly obj: PoolObject) {
    this.pollWatch = new PollWatch(obj, () => (obj.pool.freeTokens ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM);
  }

  read(ctx: FsContext, _offset: number, size: number, flags: number): Buffer | Promise<Buffer> {
    if (size <= 0) return Buffer.alloc(0);
    const { pool, processes } = this.obj;
    const pid = ctx.caller.tgid;
    processes.admit(pid, ctx.caller.uid);
    let now: Buffer | null = null;
    const r = waitCall<TakeWaiter, Buffer | null>(
      ctx,
      (done) => {
        const got = pool.take(this, pid, size, nonBlocking(flags), (errno, bytes) => done(errno, bytes));
        if (typeof got === 'number') fail(got, 'no free token (non-blocking descriptor)');
        if (got instanceof TakeWaiter) return got;
        now = got;
        return DONE_NOW;
      },
      (w, errno) => pool.cancel(w, errno),
      { timeoutMs: null, timeoutErrno: Errno.ETIMEDOUT },
    );
    if (r === DONE_NOW) {
      processes.sync();
      return now!;
    }
    // completed from inside another request's give (or a death): that path syncs after it
    return r.map((b) => b!);
  }

  write(ctx: FsContext, data: Buffer, _offset: number, _flags: number): number {
    const { pool, processes } = this.obj;
    const pid = ctx.caller.tgid;
    processes.beforeGive(pid);
    const { refused } = pool.give(this, pid, data, () => ancestorsOf(pid));
    processes.sync();
    if (refused) ctx.log.info({ pid, refused, bytes: data.length }, 'jobserver: bytes written that return no token taken by this process or its ancestors: dropped (the pool never grows past its size)');
    return data.length;
  }

  poll(_ctx: FsContext, events: number, wake: (() => void) | null): number {
    return this.pollWatch.poll(events, wake);
  }

  release(): void {
    this.pollWatch.stop();
    this.obj.processes.release(this);
    this.obj.closed();
  }
}
