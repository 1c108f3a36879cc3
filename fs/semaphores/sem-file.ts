/**
 * One semaphore object as a file. Reading prints its status; writing runs one command. Operations
 * flagged undo belong to the open file handle: its UndoHolder is released, and its adjustments
 * applied, when the kernel releases the handle (last close, or the process's death).
 */
import { readFileSync } from 'node:fs';
import { Errno, ErrnoError, fail } from '../../ipc/errno.js';
import { ALTER, READ, checkOwner, checkPerm, ipcSet, permitted, type IpcPerm, type Who } from '../../ipc/semaphores/perms.js';
import type { SemOp, SemSet } from '../../ipc/semaphores/sem-set.js';
import { UndoHolder, type UndoBudget } from '../../ipc/semaphores/undo.js';
import { S_IFREG } from '../fuse/abi.js';
import { Completion } from '../fuse/completion.js';
import { COMMAND_FILE_MODE, COMMAND_FILE_SIZE } from '../tree/command-file.js';
import { CommandFramer } from '../tree/command-framing.js';
import { setLongTimeout } from '../tree/long-timer.js';
import { allocIno, type FileHandle, type FileNode, type FsContext, type OpenMode, type Stat, type StatChange } from '../tree/node.js';
import { StreamedText } from '../tree/text-file.js';
import type { EarlyReplies } from '../fuse/early-replies.js';
import { parseCommand, type Command } from './commands.js';
import { earlyPostOf, rearmEarlyPost, type EarlyPost, type WaitTag } from './early-post.js';
import { semStatusPieces } from './status.js';

/** POLLIN: a wait would not block now; POLLOUT: a post never blocks. */
const POLLIN = 0x1;
const POLLOUT = 0x4;
const POLLRDNORM = 0x40;
const POLLWRNORM = 0x100;

export interface SemObject {
  readonly set: SemSet;
  readonly perm: IpcPerm;
  readonly kind: 'posix' | 'sysv';
  /** the first status line: ['semid', '98765432'], ['name', '/app/sem'], ['id', '9A87F312'] */
  readonly label: [string, string];
  readonly key?: number;
  /** rmid: what removing means for this kind (unlink, destroy, IPC_RMID) */
  remove(): void;
  /** where a handle's undo entries are counted, for the uid that makes them (unbounded when absent) */
  undoBudget?(uid: number): UndoBudget;
}

/** The process name as bytes (latin1, one char per byte); status.ts escapes it when printing. */
function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'latin1').replace(/\n$/, '');
  } catch {
    return '?';
  }
}

const isOwner = (perm: IpcPerm, who: Who): boolean => who.uid === 0 || who.uid === perm.uid || who.uid === perm.cuid;

export class SemFile implements FileNode {
  readonly kind = 'file';
  readonly ino = allocIno();
  private atime = Date.now();

  constructor(readonly obj: SemObject) {}

  stat(): Stat {
    const { set, perm } = this.obj;
    return {
      mode: S_IFREG | (perm.mode & 0o777),
      uid: perm.uid,
      gid: perm.gid,
      size: COMMAND_FILE_SIZE,
      nlink: 1,
      atimeMs: this.atime,
      mtimeMs: Math.max(set.otime, set.ctime),
      ctimeMs: set.ctime,
    };
  }

  /**
   * Opening, ACCESS and status reads follow ipcperms, not the file's mode bits alone: the creator
   * (cuid, cgid) gets the owner's and the group's class too, and root passes.
   */
  permits(who: Who, mask: number): boolean {
    return permitted(this.obj.perm, who, mask);
  }

  /**
   * chmod/chown: IPC_SET rules (owner, creator or root; low 9 bits of mode). chown(2) sends -1
   * for "unchanged" as an absent field, so an id here is always a real one; checked anyway.
   */
  setStat(ctx: FsContext, change: StatChange): void {
    const times = change.atimeMs !== undefined || change.mtimeMs !== undefined;
    // utimes: the owner, the creator, root, or (as for touch's UTIME_NOW) anyone who may alter it;
    // checked before anything changes. The kernel checks this itself only under default_permissions.
    if (times && !isOwner(this.obj.perm, ctx.caller) && !permitted(this.obj.perm, ctx.caller, ALTER)) {
      fail(Errno.EACCES, 'utimes: not the owner and no alter permission');
    }
    if (change.mode !== undefined || change.uid !== undefined || change.gid !== undefined) {
      ipcSet(this.obj.perm, ctx.caller, { uid: change.uid, gid: change.gid, mode: change.mode });
      this.obj.set.ctime = Date.now();
      rearmEarlyPost(this.obj);
    }
    if (change.atimeMs !== undefined) this.atime = change.atimeMs;
  }

  open(): FileHandle {
    return new SemHandle(this.obj);
  }
}

/** How the kernel opens a semaphore file (FOPEN_* flags); the bench's C reference and sink use it too. */
export const SEM_OPEN_MODE: OpenMode = COMMAND_FILE_MODE;

/**
 * One open of a semaphore file: a stream (tree/command-file.ts), so every user of a shared open
 * file description can read, write and block at the same time.
 */
export class SemHandle implements FileHandle {
  readonly mode = SEM_OPEN_MODE;
  private holder: UndoHolder | null = null;
  private pollWatcher: (() => void) | null = null;
  private readonly text: StreamedText;
  private readonly framer = new CommandFramer();
  /** fh and the object's early post, once operations has opened us (opened) */
  private early: { fh: number; replies: EarlyReplies; post: EarlyPost } | null = null;
  /** fh is bound to the object's early reply (bindEarly) */
  private bound = false;

  constructor(private readonly obj: SemObject) {
    this.text = new StreamedText((scope) => semStatusPieces(obj, scope));
  }

  /** A stream: the offset is always 0; the text keeps the cursor. */
  read(_ctx: FsContext, _offset: number, size: number): Buffer {
    return this.text.read(size);
  }

  /**
   * Runs the command this write completes (tree/command-framing.ts), or holds a piece of it.
   * Synchronous unless the command has to wait: most replies go out in the same tick.
   */
  write(ctx: FsContext, data: Buffer): number | Promise<number> {
    this.text.invalidate();
    let framed: Buffer | null;
    try {
      framed = this.framer.take(ctx.caller.pid, data, ctx.caller.uid);
    } finally {
      this.bindEarly();
    }
    if (framed === null) return data.length;
    const cmd = parseCommand(framed.toString('utf8'), this.obj.kind);
    // The wait's continuation keeps the length, not the bytes (a waiter may wait for ever).
    const length = data.length;
    const waiting = this.run(ctx, cmd, length);
    return waiting ? waiting.map(() => length) : length;
  }

  /** Early replies (fuse/early-replies.ts): a post written here may answer a waiter at once. */
  opened(fh: number, replies: EarlyReplies): void {
    const post = earlyPostOf(this.obj, replies);
    post.retain();
    this.early = { fh, replies, post };
    this.bindEarly();
  }

  /**
   * Bound while the framer holds nothing: a `post` written here is then a whole command. Binding
   * re-arms: when this was the object's only bound handle, unbinding dropped what was armed, and a
   * command that ends a held one may change nothing in the set (no watcher would re-arm it).
   */
  private bindEarly(): void {
    if (!this.early) return;
    const idle = this.framer.idle;
    if (idle === this.bound) return;
    this.bound = idle;
    if (!idle) return this.early.replies.unbind(this.early.fh);
    this.early.replies.bind(this.early.fh, this.obj);
    this.early.post.rearm();
  }

  private holderFor(ctx: FsContext): UndoHolder {
    if (!this.holder) {
      const pid = ctx.caller.tgid;
      this.holder = new UndoHolder(pid, commOf(pid), this.obj.undoBudget?.(ctx.caller.uid) ?? null);
    }
    return this.holder;
  }

  private run(ctx: FsContext, cmd: Command, length: number): Completion<void> | void {
    const { set, perm } = this.obj;
    const who = ctx.caller;
    switch (cmd.verb) {
      case 'op': {
        const alters = cmd.ops.some((o) => o.op !== 0);
        checkPerm(perm, who, alters ? ALTER : READ, 'semop');
        const holder = cmd.ops.some((o) => o.undo) ? this.holderFor(ctx) : null;
        return this.semop(ctx, cmd.ops, holder, cmd.timeoutMs, cmd.timeoutErrno, { unique: ctx.unique, value: length });
      }
      case 'setval':
        checkPerm(perm, who, ALTER, 'SETVAL');
        return set.setval(cmd.num, cmd.value, who.tgid);
      case 'setall':
        checkPerm(perm, who, ALTER, 'SETALL');
        return set.setall(cmd.values, who.tgid);
      // A removed object answers EIDRM before the owner check, as every other command does
      // (Linux finds no id at all and says EINVAL: docs/protocol.md, differences from Linux).
      case 'ipc_set':
        if (set.removed) throw new ErrnoError(Errno.EIDRM, 'semaphore removed');
        ipcSet(perm, who, cmd);
        set.ctime = Date.now();
        rearmEarlyPost(this.obj);
        return;
      case 'rmid':
        if (set.removed) throw new ErrnoError(Errno.EIDRM, 'semaphore removed');
        checkOwner(perm, who, 'IPC_RMID');
        return this.obj.remove();
    }
  }

  /**
   * Applies at once (returns nothing), or returns a promise that settles when the operation
   * completes, times out, or is interrupted (a timed-out or interrupted wait takes nothing).
   */
  private semop(ctx: FsContext, ops: SemOp[], holder: UndoHolder | null, timeoutMs: number | null, timeoutErrno: number, tag: WaitTag): Completion<void> | void {
    const { set } = this.obj;
    let settle: (errno: number) => void = () => {};
    let cancelTimer: (() => void) | null = null;
    const onAbort = (): void => {
      if (w !== 'done') set.cancel(w, Errno.EINTR);
    };
    const w = set.semop(ops, ctx.caller.tgid, holder, (errno) => {
      // The reply first (it goes out from inside settle): the clean-up is not on the waiter's path.
      settle(errno);
      cancelTimer?.();
      ctx.signal.removeEventListener('abort', onAbort);
    }, tag);
    if (w === 'done') return;
    // A Completion: the waiter is answered as soon as a post (in another request) completes it.
    const result = new Completion<void>();
    settle = (errno) => (errno === 0 ? result.resolve() : result.reject(new ErrnoError(errno, errno === Errno.EIDRM ? 'semaphore removed' : undefined)));
    if (ctx.signal.aborted) set.cancel(w, Errno.EINTR);
    else if (timeoutMs === 0) set.cancel(w, timeoutErrno);
    else {
      // any length: a timeout past setTimeout's 2^31-1 ms is a chain of timers (tree/long-timer.ts)
      if (timeoutMs !== null) cancelTimer = setLongTimeout(timeoutMs, () => set.cancel(w, timeoutErrno));
      ctx.signal.addEventListener('abort', onAbort, { once: true });
    }
    return result;
  }

  /** POLLIN when a wait on semaphore 0 would not block. */
  poll(_ctx: FsContext, events: number, wake: (() => void) | null): number {
    const { set } = this.obj;
    const ready = (set.values[0]! > 0 ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM;
    if (wake && !(ready & events & (POLLIN | POLLRDNORM))) {
      if (this.pollWatcher) set.watchers.delete(this.pollWatcher);
      const once = (): void => {
        if (set.values[0]! > 0 || set.removed) {
          set.watchers.delete(once);
          this.pollWatcher = null;
          wake();
        }
      };
      this.pollWatcher = once;
      set.watchers.add(once);
    }
    return ready & events;
  }

  release(): void {
    if (this.pollWatcher) this.obj.set.watchers.delete(this.pollWatcher);
    this.framer.clear();
    if (this.early) {
      this.bound = false;
      this.early.replies.unbind(this.early.fh);
      this.early.post.drop();
      this.early = null;
    }
    this.holder?.release();
  }
}
