/**
 * One semaphore object as a file. Reading prints its status; writing runs one command. Operations
 * flagged undo belong to the open file handle: its UndoHolder is released, and its adjustments
 * applied, when the kernel releases the handle (last close, or the process's death).
 */
import { Errno, fail } from '../../ipc/errno.js';
import { ALTER, READ, checkPerm, type IpcPerm } from '../../ipc/semaphores/perms.js';
import type { SemOp, SemSet, Waiter } from '../../ipc/semaphores/sem-set.js';
import { UndoHolder, type UndoBudget } from '../../ipc/semaphores/undo.js';
import type { Completion } from '../fuse/completion.js';
import type { EarlyReplies } from '../fuse/early-replies.js';
import { commOf } from '../kinds/process.js';
import { futexPrioOf } from '../kinds/sched-prio.js';
import { ObjectFile, ObjectHandle, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, type FileObject, type HandleState } from '../kinds/object-file.js';
import type { OpenCount } from '../kinds/open-count.js';
import { DONE_NOW, nonBlocking, waitCall, type WaitOptions } from '../kinds/wait-call.js';
import { COMMAND_FILE_MODE } from '../tree/command-file.js';
import type { FileHandle, FsContext, OpenMode } from '../tree/node.js';
import { parseCommand, type Command } from './commands.js';
import { earlyPostOf, rearmEarlyPost, type EarlyPost, type WaitTag } from './early-post.js';
import { semStatusPieces } from './status.js';

/** One semaphore object (a System V set, or a POSIX semaphore: a set of one) as its files see it. */
export class SemObject implements FileObject {
  /** `create ... transient` (unnamed/.new): removed when its last open file is released */
  transient: OpenCount | null = null;

  constructor(
    readonly set: SemSet,
    readonly perm: IpcPerm,
    readonly kind: 'posix' | 'sysv',
    /** the first status line: ['semid', '98765432'], ['name', '/app/sem'], ['id', '9A87F312'] */
    readonly label: [string, string],
    /** rm / rmid: what removing means for this kind (unlink, destroy, IPC_RMID) */
    private readonly onRemove: () => void,
    readonly key?: number,
    /** where a handle's undo entries are counted, for the uid that makes them (unbounded when absent) */
    readonly undoBudget?: (uid: number) => UndoBudget,
  ) {}

  remove(): void {
    this.onRemove();
  }
  get removed(): boolean {
    return this.set.removed;
  }
  get otime(): number {
    return this.set.otime;
  }
  get ctime(): number {
    return this.set.ctime;
  }
  set ctime(ms: number) {
    this.set.ctime = ms;
  }
  get watchers(): Set<() => void> {
    return this.set.watchers;
  }
}

export class SemFile extends ObjectFile<SemObject> {
  /** The early post's rule is the permission: re-armed when it changes. */
  protected override permChanged(): void {
    rearmEarlyPost(this.obj);
  }

  /**
   * A transient semaphore that went with its last open file may still be reached by a node looked
   * up before (LOOKUP, then OPEN): it is gone, and must not come back with a new reference.
   */
  open(): FileHandle {
    if (this.obj.transient && this.obj.removed) fail(Errno.ENOENT, 'the transient semaphore went with its last open file');
    return new SemHandle(this.obj);
  }
}

/** How the kernel opens a semaphore file (FOPEN_* flags); the bench's C reference and sink use it too. */
export const SEM_OPEN_MODE: OpenMode = COMMAND_FILE_MODE;

/** One open of a semaphore file: its undo holder is released with it (the adjustments applied). */
export class SemHandle extends ObjectHandle<SemObject> {
  override readonly mode = SEM_OPEN_MODE;
  private holder: UndoHolder | null = null;
  /** fh and the object's early post, once operations has opened us (opened) */
  private early: { fh: number; replies: EarlyReplies; post: EarlyPost } | null = null;
  /** fh is bound to the object's early reply (framingChanged) */
  private bound = false;
  /** this open file's reference to a transient semaphore */
  private readonly reference: HandleState | null;

  constructor(obj: SemObject) {
    super(obj, (scope) => semStatusPieces(obj, scope));
    this.reference = obj.transient?.retain() ?? null;
  }

  protected command(ctx: FsContext, bytes: Buffer, length: number, flags: number): number | Promise<number> {
    const cmd = parseCommand(bytes.toString('utf8'), this.obj.kind);
    // The wait's continuation keeps the length, not the bytes (a waiter may wait for ever).
    const waiting = this.run(ctx, cmd, length, nonBlocking(flags));
    return waiting ? waiting.map(() => length) : length;
  }

  /** Early replies (fuse/early-replies.ts): a post written here may answer a waiter at once. */
  opened(fh: number, replies: EarlyReplies): void {
    const post = earlyPostOf(this.obj, replies);
    post.retain();
    this.early = { fh, replies, post };
    this.framingChanged();
  }

  /**
   * Bound while the framer holds nothing: a `post` written here is then a whole command. Binding
   * re-arms: when this was the object's only bound handle, unbinding dropped what was armed, and a
   * command that ends a held one may change nothing in the set (no watcher would re-arm it).
   */
  protected override framingChanged(): void {
    if (!this.early) return;
    const idle = this.framer.idle;
    if (idle === this.bound) return;
    this.bound = idle;
    if (!idle) return this.early.replies.unbind(this.early.fh);
    this.early.replies.bind(this.early.fh, this.obj);
    this.early.post.rearm();
  }

  protected override permChanged(): void {
    rearmEarlyPost(this.obj);
  }

  private holderFor(ctx: FsContext): UndoHolder {
    if (!this.holder) {
      const pid = ctx.caller.tgid;
      this.holder = this.keep(new UndoHolder(pid, commOf(pid), this.obj.undoBudget?.(ctx.caller.uid) ?? null));
    }
    return this.holder;
  }

  private run(ctx: FsContext, cmd: Command, length: number, noWait: boolean): Completion<void> | void {
    const { set, perm } = this.obj;
    const who = ctx.caller;
    switch (cmd.verb) {
      case 'op': {
        const alters = cmd.ops.some((o) => o.op !== 0);
        checkPerm(perm, who, alters ? ALTER : READ, 'semop');
        const holder = cmd.ops.some((o) => o.undo) ? this.holderFor(ctx) : null;
        return this.semop(ctx, cmd.ops, holder, { timeoutMs: cmd.timeoutMs, timeoutErrno: cmd.timeoutErrno, nonBlocking: noWait }, { unique: ctx.unique, value: length });
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
        return this.ipcSetCommand(ctx, cmd, 'semaphore');
      case 'rmid':
        return this.rmidCommand(ctx, 'semaphore');
    }
  }

  /**
   * Applies at once (returns nothing), or returns a Completion that settles when the operation
   * completes, times out, or is interrupted (a timed-out or interrupted wait takes nothing).
   */
  private semop(ctx: FsContext, ops: SemOp[], holder: UndoHolder | null, wait: Omit<WaitOptions, 'describe'>, tag: WaitTag): Completion<void> | void {
    const { set } = this.obj;
    const r = waitCall<Waiter, void>(
      ctx,
      (done) => {
        // a POSIX semaphore is a futex to glibc: its waiters are served in the futex's order
        const prio = this.obj.kind === 'posix' ? () => futexPrioOf(ctx.caller.pid) : undefined;
        const w = set.semop(ops, ctx.caller.tgid, holder, (errno) => done(errno, undefined), tag, prio);
        return w === 'done' ? DONE_NOW : w;
      },
      (w, errno) => set.cancel(w, errno),
      { ...wait, describe: (errno) => (errno === Errno.EIDRM ? 'semaphore removed' : undefined) },
    );
    return r === DONE_NOW ? undefined : r;
  }

  /** POLLIN when a wait on semaphore 0 would not block; POLLOUT always (a post never blocks). */
  protected readiness(): number {
    return (this.obj.set.values[0]! > 0 ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM;
  }

  protected override onRelease(): void {
    if (this.early) {
      this.bound = false;
      this.early.replies.unbind(this.early.fh);
      this.early.post.drop();
      this.early = null;
    }
  }

  /** The reference goes last: the undo adjustments are applied to a semaphore that still exists. */
  override release(): void {
    super.release();
    this.reference?.release();
  }
}
