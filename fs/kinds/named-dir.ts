/**
 * A POSIX named kind directory (semaphores/named, mqueue/named, shared-memory/named): objects by
 * name, a '/' in the name being a subdirectory (named/app/sem-1 is "/app/sem-1"); open(O_CREAT) and
 * mknod create with defaults, `.new` creates atomically with options (`create NAME [opts] [mode=]
 * [excl]`), rm is the kind's unlink (owner, creator or root), mkdir/rmdir manage the subdirectories.
 * The kind (NamedKind) says how to make an object; everything else is here, once.
 */
import { Errno, fail } from '../../ipc/errno.js';
import type { IpcQuota } from '../../ipc/limits.js';
import type { Charge } from '../../ipc/quota.js';
import { checkOwner } from '../../ipc/semaphores/perms.js';
import { checkCreate, checkSearch } from '../tree/access.js';
import { allocIno, type DirNode, type FsContext, type FsNode, type Stat } from '../tree/node.js';
import { CreateFile } from './clone-file.js';
import { CLONE_FILE, KIND_DIR_MODE, checkName, dirStat, refuseCloneFile, type KindObjectFile } from './kind-dir.js';
import { modeOption, options, type OptionKinds } from './tokens.js';

export interface NamedKind<F extends KindObjectFile> {
  /** the create command's options besides mode= and excl, with their usage text */
  readonly createOptions: OptionKinds;
  readonly createUsage: string;
  /** what unlink is called in messages: 'sem_unlink', 'mq_unlink', 'shm_unlink' */
  readonly unlinkCall: string;
  /**
   * Makes the object named posixName with mode; opts are the create command's (empty for
   * open(O_CREAT), which takes the kind's defaults). The object's remove() must call gone(file)
   * once: the name leaves the directory (open handles keep working, as after *_unlink).
   */
  make(ctx: FsContext, posixName: string, mode: number, opts: ReadonlyMap<string, string>, gone: (file: F) => void): F;
}

export class NamedKindDir<F extends KindObjectFile> implements DirNode {
  readonly kind = 'dir';
  readonly ino = allocIno();
  private readonly children = new Map<string, F | NamedKindDir<F>>();
  private mtime = Date.now();
  /** Subdirectories, counted as they come and go: stat (nlink) runs on every permission check. */
  private subdirs = 0;
  private readonly createFile: CreateFile | null;
  /** what its creator was charged (one object); the kind directory itself has none */
  charge: Charge | null = null;

  /** prefix: the POSIX name of this directory ('' for named/ itself, '/app' below it) */
  constructor(
    private readonly policy: NamedKind<F>,
    private readonly quota: IpcQuota,
    readonly prefix = '',
    readonly perm: { uid: number; gid: number; mode: number } = { uid: 0, gid: 0, mode: KIND_DIR_MODE },
  ) {
    this.createFile = prefix === '' ? new CreateFile(policy.createUsage, (ctx, ws) => this.createCommand(ctx, ws)) : null;
  }

  stat(): Stat {
    return dirStat(this.perm, this.mtime, this.subdirs);
  }

  lookup(name: string): FsNode | undefined {
    if (name === CLONE_FILE && this.createFile) return this.createFile;
    return this.children.get(name);
  }

  /** Lazy and live (Map order): see DirNode.entries. */
  entries(): IterableIterator<[string, FsNode]> {
    return this.children.entries();
  }

  private make(ctx: FsContext, name: string, mode: number, opts: ReadonlyMap<string, string>): F {
    checkName(name);
    const file = this.policy.make(ctx, `${this.prefix}/${name}`, mode, opts, (self) => {
      if (this.children.get(name) === self) this.children.delete(name);
    });
    this.children.set(name, file);
    this.mtime = Date.now();
    return file;
  }

  /** open(O_CREAT) / mknod: the kind's defaults, mode from the caller (the kernel applied the umask). */
  create(ctx: FsContext, name: string, mode: number): FsNode {
    return this.make(ctx, name, mode, new Map());
  }

  mkdir(ctx: FsContext, name: string, mode: number): NamedKindDir<F> {
    checkName(name);
    const dir = new NamedKindDir(this.policy, this.quota, `${this.prefix}/${name}`, { uid: ctx.caller.uid, gid: ctx.caller.gid, mode: mode & 0o7777 });
    dir.charge = this.quota.charge(ctx.caller.uid, { objects: 1 }, 'mkdir');
    this.children.set(name, dir);
    this.subdirs++;
    this.mtime = Date.now();
    return dir;
  }

  /** The kind's unlink: owner, creator or root (the directory's write permission and sticky bit are checked before). */
  unlink(ctx: FsContext, name: string): void {
    refuseCloneFile(name);
    const f = this.children.get(name);
    if (!f || f.kind !== 'file') fail(Errno.ENOENT);
    checkOwner(f.obj.perm, ctx.caller, this.policy.unlinkCall);
    f.obj.remove();
  }

  rmdir(_ctx: FsContext, name: string): void {
    const d = this.children.get(name);
    if (!d || d.kind !== 'dir') fail(Errno.ENOTDIR);
    if (d.children.size) fail(Errno.ENOTEMPTY);
    this.removeDir(name);
  }

  private removeDir(name: string): void {
    const d = this.children.get(name);
    if (!d || d.kind !== 'dir') return;
    this.children.delete(name);
    this.subdirs--;
    d.charge?.release();
    this.mtime = Date.now();
  }

  /**
   * `create NAME [opts] [mode=OCTAL] [excl]`: makes missing parent directories; all or nothing.
   * The same permissions as a path walk and open(O_CREAT): search on every directory passed,
   * write and search where the first entry is made (the directories it makes are the caller's).
   * Everything that can fail is checked before the first directory appears, and directories made
   * are taken back if the object still cannot be made.
   */
  private createCommand(ctx: FsContext, ws: string[]): string {
    const { positional, opts } = options(ws.slice(1), { ...this.policy.createOptions, mode: 'value', excl: 'flag' });
    if (ws[0] !== 'create' || positional.length !== 1) fail(Errno.EINVAL, `usage: ${this.policy.createUsage}`);
    const parts = positional[0]!.split('/').filter(Boolean);
    if (!parts.length) fail(Errno.EINVAL, 'empty name');
    for (const p of parts) checkName(p);
    const mode = modeOption(opts.get('mode'), 0o600);
    const leaf = parts.pop()!;
    let dir: NamedKindDir<F> = this;
    let i = 0;
    for (; i < parts.length; i++) {
      checkSearch(dir, ctx.caller);
      const next = dir.children.get(parts[i]!);
      if (!next) break;
      if (next.kind === 'file') fail(Errno.ENOTDIR, `${parts[i]} is not a directory`);
      dir = next;
    }
    checkSearch(dir, ctx.caller);
    if (i === parts.length) {
      const existing = dir.children.get(leaf);
      if (existing) {
        if (opts.has('excl')) fail(Errno.EEXIST, `${positional[0]} exists`);
        if (existing.kind === 'dir') fail(Errno.EISDIR);
        return existing.obj.label[1];
      }
    }
    checkCreate(dir, ctx.caller);
    const made: [NamedKindDir<F>, string][] = [];
    try {
      for (; i < parts.length; i++) {
        const sub = dir.mkdir(ctx, parts[i]!, 0o755);
        made.push([dir, parts[i]!]);
        dir = sub;
      }
      return dir.make(ctx, leaf, mode, opts).obj.label[1];
    } catch (err) {
      for (const [parent, name] of made.reverse()) parent.removeDir(name);
      throw err;
    }
  }
}
