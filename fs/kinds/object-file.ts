/**
 * An IPC object as a file, for every kind: the file (stat from the object's permission and times,
 * ipcperms for open and ACCESS, chmod/chown as IPC_SET, utimes) and the open handle (a command
 * stream: status text on read, framed commands on write; per-handle state released on RELEASE;
 * POLL readiness with one wake-up; the common commands `ipc_set` and `rmid`). A kind subclasses
 * both with its commands, its status and its readiness (fs/semaphores/sem-file.ts).
 */
import { Errno, ErrnoError, fail } from '../../ipc/errno.js';
import { ALTER, checkOwner, ipcSet, permitted, type IpcPerm, type Who } from '../../ipc/semaphores/perms.js';
import { S_IFREG } from '../fuse/abi.js';
import { COMMAND_FILE_MODE, COMMAND_FILE_SIZE } from '../tree/command-file.js';
import { CommandFramer } from '../tree/command-framing.js';
import { allocIno, type FileHandle, type FileNode, type FsContext, type OpenMode, type Stat, type StatChange } from '../tree/node.js';
import { StreamedText, type TextSource } from '../tree/text-file.js';
import { PollWatch } from './poll-watch.js';

/** What the generic file and handle need of an object. */
export interface FileObject {
  readonly perm: IpcPerm;
  /** the status's first line: ['semid', '98765432'], ['name', '/app/q'] */
  readonly label: readonly [string, string];
  /** rm / IPC_RMID: what removing means for the kind */
  remove(): void;
  /** IPC_RMID ran (or the name was unlinked and the object destroyed): EIDRM for ipc_set and rmid */
  readonly removed: boolean;
  /** the last operation (0: never) and the last change of the object (ms) */
  readonly otime: number;
  ctime: number;
  /** called after every change (poll wake-ups, early replies) */
  readonly watchers: Set<() => void>;
}

/** Something a handle holds and gives back when it is released (an undo holder, held messages). */
export interface HandleState {
  release(): void;
}

const isOwner = (perm: IpcPerm, who: Who): boolean => who.uid === 0 || who.uid === perm.uid || who.uid === perm.cuid;

export abstract class ObjectFile<O extends FileObject> implements FileNode {
  readonly kind = 'file';
  readonly ino = allocIno();
  private atime = Date.now();

  constructor(readonly obj: O) {}

  /** st_size: a command file's (tree/command-file.ts); shared memory's is its size. */
  protected size(): number {
    return COMMAND_FILE_SIZE;
  }

  stat(): Stat {
    const { perm } = this.obj;
    return {
      mode: S_IFREG | (perm.mode & 0o777),
      uid: perm.uid,
      gid: perm.gid,
      size: this.size(),
      nlink: 1,
      atimeMs: this.atime,
      mtimeMs: Math.max(this.obj.otime, this.obj.ctime),
      ctimeMs: this.obj.ctime,
    };
  }

  /**
   * Opening, ACCESS and status reads follow ipcperms, not the file's mode bits alone: the creator
   * (cuid, cgid) gets the owner's and the group's class too, and root passes.
   */
  permits(who: Who, mask: number): boolean {
    return permitted(this.obj.perm, who, mask);
  }

  /** The object's permission changed (IPC_SET by chmod/chown or by the command): kinds re-arm what depends on it. */
  protected permChanged(): void {}

  /**
   * chmod/chown: IPC_SET rules (owner, creator or root; low 9 bits of mode). chown(2) sends -1
   * for "unchanged" as an absent field, so an id here is always a real one; checked anyway.
   */
  setStat(ctx: FsContext, change: StatChange): void {
    const times = change.atimeMs !== undefined || change.mtimeMs !== undefined;
    const perm = change.mode !== undefined || change.uid !== undefined || change.gid !== undefined;
    // fchmod/fchown through a file still open: IPC_SET of a removed object, as the ipc_set command
    if (perm && this.obj.removed) throw new ErrnoError(Errno.EIDRM, 'chmod/chown: object removed');
    // utimes: the owner, the creator, root, or (as for touch's UTIME_NOW) anyone who may alter it;
    // checked before anything changes. The kernel checks this itself only under default_permissions.
    if (times && !isOwner(this.obj.perm, ctx.caller) && !permitted(this.obj.perm, ctx.caller, ALTER)) {
      fail(Errno.EACCES, 'utimes: not the owner and no alter permission');
    }
    if (perm) {
      ipcSet(this.obj.perm, ctx.caller, { uid: change.uid, gid: change.gid, mode: change.mode });
      this.obj.ctime = Date.now();
      this.permChanged();
    }
    if (change.atimeMs !== undefined) this.atime = change.atimeMs;
  }

  abstract open(ctx: FsContext, flags: number): FileHandle;
}

const NO_VERBS: ReadonlySet<string> = new Set();

/** The first word of a command line, lower-cased: what payloadVerbs names. */
function verbOf(line: Buffer): string {
  return line.toString('latin1').trim().split(/\s/, 1)[0]!.toLowerCase();
}

export { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, POLLERR } from './poll-watch.js';

/**
 * One open of an object file: a stream (tree/command-file.ts), so every user of a shared open
 * file description can read, write and block at the same time.
 */
export abstract class ObjectHandle<O extends FileObject> implements FileHandle {
  readonly mode: OpenMode = COMMAND_FILE_MODE;
  protected readonly text: StreamedText;
  protected readonly framer = new CommandFramer();
  /** the verbs whose command carries a payload: the rest of its write (framing rule 6) */
  protected readonly payloadVerbs: ReadonlySet<string> = NO_VERBS;
  private readonly states: HandleState[] = [];
  private readonly pollWatch: PollWatch;
  /** a command's answer not read yet (see answer) */
  private answerBytes: Buffer | null = null;

  constructor(protected readonly obj: O, status: TextSource) {
    this.text = new StreamedText(status);
    this.pollWatch = new PollWatch(obj, () => this.readiness());
  }

  /**
   * A stream: the offset is always 0; the text keeps the cursor. A command's answer (answer())
   * comes first: its bytes, then end of file once; then the status again.
   */
  read(_ctx: FsContext, _offset: number, size: number, _flags: number): Buffer | Promise<Buffer> {
    const a = this.answerBytes;
    if (a) {
      this.answerBytes = a.length ? a.subarray(Math.min(size, a.length)) : null;
      return a.subarray(0, Math.min(size, a.length));
    }
    return this.text.read(size);
  }

  /**
   * The answer of a command (a received message), read by the next reads of this open file
   * description, whoever reads it (`exec 3<>q; echo receive >&3; cat <&3`). One at a time: a
   * command that would answer while an answer is unread must refuse first (answerPending).
   */
  protected answer(bytes: Buffer): void {
    this.answerBytes = bytes;
  }

  /**
   * Bytes of an answer are still unread. Once all of them are read only the end of file is left:
   * a reader that takes the whole answer in one read (`os.read(fd, 1 << 20)`) and then commands
   * again must not be refused; the new answer replaces that end of file.
   */
  protected get answerPending(): boolean {
    return this.answerBytes !== null && this.answerBytes.length > 0;
  }

  /**
   * Runs the command this write completes (tree/command-framing.ts), or holds a piece of it.
   * Synchronous unless the command has to wait: most replies go out in the same tick.
   */
  write(ctx: FsContext, data: Buffer, _offset: number, flags: number): number | Promise<number> {
    this.text.invalidate();
    if (this.payloadVerbs.size) {
      const p = this.framer.takePayload(ctx.caller.pid, data, (line) => this.payloadVerbs.has(verbOf(line)));
      if (p) return this.command(ctx, p.line, data.length, flags, p.payload);
    }
    let framed: Buffer | null;
    try {
      framed = this.framer.take(ctx.caller.pid, data, ctx.caller.uid);
    } finally {
      this.framingChanged();
    }
    if (framed === null) return data.length;
    return this.command(ctx, framed, data.length, flags, null);
  }

  /**
   * One whole command (its bytes, without the final newline); length is the write's, flags its
   * f_flags; payload: what follows the command line of a payload verb (else null).
   */
  protected abstract command(ctx: FsContext, bytes: Buffer, length: number, flags: number, payload: Buffer | null): number | Promise<number>;

  /** After every write: the framer may hold part of a command now, or no longer. */
  protected framingChanged(): void {}

  /** Keeps s with the handle: released, in the order kept, when the handle is. */
  protected keep<S extends HandleState>(s: S): S {
    this.states.push(s);
    return s;
  }

  /** `ipc_set` (IPC_SET): EIDRM on a removed object before the owner check, as every other command. */
  protected ipcSetCommand(ctx: FsContext, change: { uid?: number; gid?: number; mode?: number }, what: string): void {
    if (this.obj.removed) throw new ErrnoError(Errno.EIDRM, `${what} removed`);
    ipcSet(this.obj.perm, ctx.caller, change);
    this.obj.ctime = Date.now();
    this.permChanged();
  }

  /** `rmid` (IPC_RMID): owner, creator or root. */
  protected rmidCommand(ctx: FsContext, what: string): void {
    if (this.obj.removed) throw new ErrnoError(Errno.EIDRM, `${what} removed`);
    checkOwner(this.obj.perm, ctx.caller, 'IPC_RMID');
    this.obj.remove();
  }

  protected permChanged(): void {}

  /** The POLL* bits ready now (the kind's rule). */
  protected abstract readiness(): number;

  /** POLL readiness of this handle (poll-watch.ts). */
  poll(_ctx: FsContext, events: number, wake: (() => void) | null): number {
    return this.pollWatch.poll(events, wake);
  }

  /** Kind-specific clean-up before the kept states are released. */
  protected onRelease(): void {}

  release(): void {
    this.pollWatch.stop();
    this.framer.clear();
    this.onRelease();
    for (const s of this.states.splice(0)) s.release();
  }
}
