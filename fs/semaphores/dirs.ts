/**
 * The three semaphore directories:
 *   named/    POSIX named semaphores; a '/' in the name is a subdirectory (named/app/sem-1)
 *   unnamed/  POSIX unnamed semaphores by 8 upper-case hex digits
 *   sysv/     System V sets by semid, sysv/by-key/0x0000162e -> ../<semid>
 * Each has `.new`, a clone file that creates atomically with an initial value.
 */
import { Errno, fail } from '../../ipc/errno.js';
import type { IpcQuota } from '../../ipc/limits.js';
import type { Charge } from '../../ipc/quota.js';
import { checkOwner, type IpcPerm } from '../../ipc/semaphores/perms.js';
import { undoBudget } from '../../ipc/limits.js';
import { IPC_CREAT, IPC_EXCL, IPC_PRIVATE, SysvRegistry, newPosix, newUnnamedId, type SysvSemaphore } from '../../ipc/semaphores/registry.js';
import { S_IFDIR, S_IFLNK } from '../fuse/abi.js';
import { checkCreate, checkSearch } from '../tree/access.js';
import { allocIno, type DirNode, type FsContext, type FsNode, type Stat, type SymlinkNode } from '../tree/node.js';
import { CreateFile, options } from './create-file.js';
import { SemFile } from './sem-file.js';
import { hexKey } from './status.js';

const KIND_DIR_MODE = 0o1777;
const NEW = '.new';

function dirStat(perm: { uid: number; gid: number; mode: number }, time: number, subdirs: number): Stat {
  return { mode: S_IFDIR | perm.mode, uid: perm.uid, gid: perm.gid, size: 0, nlink: 2 + subdirs, atimeMs: time, mtimeMs: time, ctimeMs: time };
}

function modeOpt(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^[0-7]{1,4}$/.test(v)) fail(Errno.EINVAL, `mode=${v}: octal expected`);
  return parseInt(v, 8) & 0o777;
}

function valueOpt(v: string | undefined): number {
  if (v === undefined) return 0;
  if (!/^\d+$/.test(v)) fail(Errno.EINVAL, `value=${v}: a non-negative integer expected`);
  return Number(v);
}

/** `rm .new`: the clone file is part of the directory, like the directory itself. */
function refuseCloneFile(name: string): void {
  if (name === NEW) fail(Errno.EPERM, `${NEW} cannot be removed`);
}

/**
 * A semget key: `private`, 0x and up to 8 hex digits, or a decimal that fits key_t's 32 bits
 * (-2147483648..4294967295, the upper half meaning the same key as its negative). Anything wider
 * is EINVAL, never wrapped (4294967296 would otherwise become IPC_PRIVATE).
 */
export function parseKey(k: string): number {
  if (k === 'private') return IPC_PRIVATE;
  if (/^0x[0-9a-fA-F]{1,8}$/.test(k)) return parseInt(k, 16) | 0;
  if (/^-?\d{1,10}$/.test(k)) {
    const n = Number(k);
    if (n >= -(2 ** 31) && n < 2 ** 32) return n | 0;
  }
  fail(Errno.EINVAL, `key "${k}": 0x and 1-8 hex digits, a 32-bit decimal, or private`);
}

/** A POSIX name component: not empty, no NUL, not "." or "..", not the clone file's name. */
function checkName(name: string): void {
  if (!name || name === '.' || name === '..' || name === NEW || name.includes('\0')) fail(Errno.EINVAL, `"${name}" is not a usable name`);
  if (Buffer.byteLength(name) > 255) fail(Errno.ENAMETOOLONG);
}

/** A POSIX semaphore's file; label[1] is its name or id, remove what rm/rmid means for its kind. */
function posixFile(ctx: FsContext, quota: IpcQuota, label: [string, string], value: number, mode: number, remove: (file: SemFile) => void): SemFile {
  const sem = newPosix(label[1], value, mode, ctx.caller, quota);
  const file: SemFile = new SemFile({
    set: sem.set, perm: sem.perm, kind: 'posix', label, remove: () => {
      remove(file);
      sem.charge.release(); // once, however often rmid/unlink runs
    },
    undoBudget: (uid) => undoBudget(quota, uid),
  });
  return file;
}

export class NamedDir implements DirNode {
  readonly kind = 'dir';
  readonly ino = allocIno();
  private readonly children = new Map<string, SemFile | NamedDir>();
  private mtime = Date.now();
  /** Subdirectories, counted as they come and go: stat (nlink) runs on every permission check. */
  private subdirs = 0;
  private readonly createFile: CreateFile | null;
  /** what its creator was charged (one object); named/ itself has none */
  charge: Charge | null = null;

  /** prefix: the POSIX name of this directory ('' for named/ itself, '/app' below it) */
  constructor(readonly prefix: string, readonly perm: { uid: number; gid: number; mode: number }, private readonly quota: IpcQuota) {
    this.createFile = prefix === ''
      ? new CreateFile('create NAME [value=N] [mode=OCTAL] [excl]', (ctx, words) => this.createCommand(ctx, words))
      : null;
  }

  stat(): Stat {
    return dirStat(this.perm, this.mtime, this.subdirs);
  }

  lookup(name: string): FsNode | undefined {
    if (name === NEW && this.createFile) return this.createFile;
    return this.children.get(name);
  }

  /** Lazy and live (Map order): see DirNode.entries. */
  entries(): IterableIterator<[string, FsNode]> {
    return this.children.entries();
  }

  private newSem(ctx: FsContext, name: string, value: number, mode: number): SemFile {
    checkName(name);
    const posixName = `${this.prefix}/${name}`;
    // sem_unlink: the name goes; open handles keep working until closed
    const file = posixFile(ctx, this.quota, ['name', posixName], value, mode, (self) => {
      if (this.children.get(name) === self) this.children.delete(name);
    });
    this.children.set(name, file);
    this.mtime = Date.now();
    return file;
  }

  /** open(O_CREAT) / mknod: value 0, mode from the caller (the kernel applied the umask). */
  create(ctx: FsContext, name: string, mode: number): FsNode {
    return this.newSem(ctx, name, 0, mode);
  }

  mkdir(ctx: FsContext, name: string, mode: number): NamedDir {
    checkName(name);
    const dir = new NamedDir(`${this.prefix}/${name}`, { uid: ctx.caller.uid, gid: ctx.caller.gid, mode: mode & 0o7777 }, this.quota);
    dir.charge = this.quota.charge(ctx.caller.uid, { objects: 1 }, 'mkdir');
    this.children.set(name, dir);
    this.subdirs++;
    this.mtime = Date.now();
    return dir;
  }

  /** sem_unlink: owner, creator or root (the directory's write permission and sticky bit are checked before). */
  unlink(ctx: FsContext, name: string): void {
    refuseCloneFile(name);
    const f = this.children.get(name);
    if (!f || f.kind !== 'file') fail(Errno.ENOENT);
    checkOwner(f.obj.perm, ctx.caller, 'sem_unlink');
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
   * `create NAME [value=N] [mode=OCTAL] [excl]`: makes missing parent directories; all or nothing.
   * The same permissions as a path walk and open(O_CREAT): search on every directory passed,
   * write and search where the first entry is made (the directories it makes are the caller's).
   * Everything that can fail is checked before the first directory appears, and directories made
   * are taken back if the semaphore still cannot be made.
   */
  private createCommand(ctx: FsContext, words: string[]): string {
    const { positional, opts } = options(words.slice(1), { value: 'value', mode: 'value', excl: 'flag' });
    if (words[0] !== 'create' || positional.length !== 1) fail(Errno.EINVAL, 'usage: create NAME [value=N] [mode=OCTAL] [excl]');
    const parts = positional[0]!.split('/').filter(Boolean);
    if (!parts.length) fail(Errno.EINVAL, 'empty name');
    for (const p of parts) checkName(p);
    const value = valueOpt(opts.get('value'));
    const mode = modeOpt(opts.get('mode'), 0o600);
    const leaf = parts.pop()!;
    let dir: NamedDir = this;
    let i = 0;
    for (; i < parts.length; i++) {
      checkSearch(dir, ctx.caller);
      const next = dir.children.get(parts[i]!);
      if (!next) break;
      if (next.kind === 'file') fail(Errno.ENOTDIR, `${parts[i]} is a semaphore`);
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
    const made: [NamedDir, string][] = [];
    try {
      for (; i < parts.length; i++) {
        const sub = dir.mkdir(ctx, parts[i]!, 0o755);
        made.push([dir, parts[i]!]);
        dir = sub;
      }
      return dir.newSem(ctx, leaf, value, mode).obj.label[1];
    } catch (err) {
      for (const [parent, name] of made.reverse()) parent.removeDir(name);
      throw err;
    }
  }
}

export class UnnamedDir implements DirNode {
  readonly kind = 'dir';
  readonly ino = allocIno();
  private readonly sems = new Map<string, SemFile>();
  private mtime = Date.now();
  private readonly perm = { uid: 0, gid: 0, mode: KIND_DIR_MODE };
  constructor(private readonly quota: IpcQuota) {}
  private readonly createFile = new CreateFile('create [value=N] [mode=OCTAL]', (ctx, words) => {
    const { positional, opts } = options(words.slice(1), { value: 'value', mode: 'value' });
    if (words[0] !== 'create' || positional.length) fail(Errno.EINVAL, 'usage: create [value=N] [mode=OCTAL]');
    const id = newUnnamedId((x) => this.sems.has(x));
    this.add(ctx, id, valueOpt(opts.get('value')), modeOpt(opts.get('mode'), 0o600));
    return id;
  });

  stat(): Stat {
    return dirStat(this.perm, this.mtime, 0);
  }

  lookup(name: string): FsNode | undefined {
    return name === NEW ? this.createFile : this.sems.get(name);
  }

  entries(): IterableIterator<[string, FsNode]> {
    return this.sems.entries();
  }

  private add(ctx: FsContext, id: string, value: number, mode: number): SemFile {
    // sem_destroy: gone for everyone; waiters fail with EIDRM
    const file = posixFile(ctx, this.quota, ['id', id], value, mode, (self) => {
      this.sems.delete(id);
      self.obj.set.remove();
      this.mtime = Date.now();
    });
    this.sems.set(id, file);
    this.mtime = Date.now();
    return file;
  }

  /** open(O_CREAT) of an 8-hex-digit id picks that id. */
  create(ctx: FsContext, name: string, mode: number): FsNode {
    if (!/^[0-9A-F]{8}$/.test(name)) fail(Errno.EINVAL, 'unnamed semaphores are named by 8 upper-case hex digits (or use .new)');
    return this.add(ctx, name, 0, mode);
  }

  unlink(ctx: FsContext, name: string): void {
    refuseCloneFile(name);
    const f = this.sems.get(name);
    if (!f) fail(Errno.ENOENT);
    checkOwner(f.obj.perm, ctx.caller, 'sem_destroy');
    f.obj.remove();
  }
}

class KeyLink implements SymlinkNode {
  readonly kind = 'symlink';
  readonly ino = allocIno();
  constructor(readonly target: string, private readonly perm: IpcPerm, private readonly time: number) {}
  stat(): Stat {
    return { mode: S_IFLNK | 0o777, uid: this.perm.uid, gid: this.perm.gid, size: this.target.length, nlink: 1, atimeMs: this.time, mtimeMs: this.time, ctimeMs: this.time };
  }
}

/** sysv/by-key: one symlink per keyed set, hexKey -> ../semid. */
class ByKeyDir implements DirNode {
  readonly kind = 'dir';
  readonly ino = allocIno();
  private readonly links = new Map<SysvSemaphore, KeyLink>();
  constructor(private readonly registry: SysvRegistry) {}

  stat(): Stat {
    return dirStat({ uid: 0, gid: 0, mode: 0o755 }, Date.now(), 0);
  }

  private link(sem: SysvSemaphore): KeyLink {
    let l = this.links.get(sem);
    if (!l) {
      l = new KeyLink(`../${sem.id}`, sem.perm, sem.set.ctime);
      this.links.set(sem, l);
    }
    return l;
  }

  lookup(name: string): FsNode | undefined {
    if (!/^0x[0-9a-f]{8}$/.test(name)) return undefined;
    const sem = this.registry.lookupKey(parseInt(name, 16) | 0);
    return sem ? this.link(sem) : undefined;
  }

  /** The set is gone: its link goes with it. */
  forget(sem: SysvSemaphore): void {
    this.links.delete(sem);
  }

  /** Lazy and live over the registry's sets (see DirNode.entries). */
  *entries(): IterableIterator<[string, FsNode]> {
    for (const s of this.registry.values()) if (s.key !== IPC_PRIVATE) yield [hexKey(s.key), this.link(s)];
  }
}

export class SysvDir implements DirNode {
  readonly kind = 'dir';
  readonly ino = allocIno();
  private readonly files = new Map<SysvSemaphore, SemFile>();
  private readonly byKey: ByKeyDir;
  private readonly perm = { uid: 0, gid: 0, mode: KIND_DIR_MODE };
  private readonly createFile = new CreateFile('semget KEY NSEMS [mode=OCTAL] [creat] [excl]   (KEY: 0x1234, decimal, or private)', (ctx, words) => this.semget(ctx, words));

  constructor(readonly registry: SysvRegistry) {
    this.byKey = new ByKeyDir(registry);
  }

  stat(): Stat {
    return dirStat(this.perm, Date.now(), 1);
  }

  private file(sem: SysvSemaphore): SemFile {
    let f = this.files.get(sem);
    if (!f) {
      f = new SemFile({
        set: sem.set,
        perm: sem.perm,
        kind: 'sysv',
        label: ['semid', String(sem.id)],
        key: sem.key,
        remove: () => {
          this.registry.remove(sem);
          this.files.delete(sem);
          this.byKey.forget(sem);
        },
        undoBudget: (uid) => undoBudget(this.registry.quota, uid),
      });
      this.files.set(sem, f);
    }
    return f;
  }

  lookup(name: string): FsNode | undefined {
    if (name === NEW) return this.createFile;
    if (name === 'by-key') return this.byKey;
    if (!/^\d+$/.test(name)) return undefined;
    const sem = this.registry.get(Number(name));
    return sem ? this.file(sem) : undefined;
  }

  /** Lazy and live over the registry's sets (see DirNode.entries). */
  *entries(): IterableIterator<[string, FsNode]> {
    yield ['by-key', this.byKey];
    for (const sem of this.registry.values()) yield [String(sem.id), this.file(sem)];
  }

  /** IPC_RMID by rm: owner, creator or root. */
  unlink(ctx: FsContext, name: string): void {
    refuseCloneFile(name);
    const f = this.lookup(name);
    if (!f || !(f instanceof SemFile)) fail(name === 'by-key' ? Errno.EISDIR : Errno.ENOENT);
    checkOwner(f.obj.perm, ctx.caller, 'IPC_RMID');
    f.obj.remove();
  }

  private semget(ctx: FsContext, words: string[]): string {
    const { positional, opts } = options(words.slice(1), { mode: 'value', creat: 'flag', excl: 'flag' });
    if (words[0] !== 'semget' || positional.length !== 2) fail(Errno.EINVAL, 'usage: semget KEY NSEMS [mode=OCTAL] [creat] [excl]');
    const [k, n] = positional as [string, string];
    const key = parseKey(k);
    if (!/^\d{1,10}$/.test(n)) fail(Errno.EINVAL, `nsems "${n}": a number`);
    let flags = modeOpt(opts.get('mode'), 0o600);
    if (opts.has('creat') || key === IPC_PRIVATE) flags |= IPC_CREAT;
    if (opts.has('excl')) flags |= IPC_EXCL;
    const sem = this.registry.semget(key, Number(n), flags, { uid: ctx.caller.uid, gid: ctx.caller.gid, pid: ctx.caller.tgid });
    return String(sem.id);
  }
}

export interface SemaphoreDirs {
  named: NamedDir;
  unnamed: UnnamedDir;
  sysv: SysvDir;
}

export function semaphoreDirs(registry = new SysvRegistry()): SemaphoreDirs {
  return { named: new NamedDir('', { uid: 0, gid: 0, mode: KIND_DIR_MODE }, registry.quota), unnamed: new UnnamedDir(registry.quota), sysv: new SysvDir(registry) };
}
