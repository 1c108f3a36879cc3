/**
 * The three semaphore directories, as the kind layer's directories (fs/kinds) with the semaphores'
 * policy:
 *   named/    POSIX named semaphores; a '/' in the name is a subdirectory (named/app/sem-1)
 *   unnamed/  POSIX unnamed semaphores by 8 upper-case hex digits
 *   sysv/     System V sets by semid, sysv/by-key/0x0000162e -> ../<semid>
 * Each has `.new`, a clone file that creates atomically with an initial value.
 */
import { Errno, fail } from '../../ipc/errno.js';
import { undoBudget, type IpcQuota } from '../../ipc/limits.js';
import { checkOwner } from '../../ipc/semaphores/perms.js';
import { IPC_CREAT, IPC_EXCL, IPC_PRIVATE, SysvRegistry, newPosix, newUnnamedId, type SysvSemaphore } from '../../ipc/semaphores/registry.js';
import { CreateFile } from '../kinds/clone-file.js';
import { CLONE_FILE, KIND_DIR_MODE, dirStat, refuseCloneFile } from '../kinds/kind-dir.js';
import { NamedKindDir, type NamedKind } from '../kinds/named-dir.js';
import { SysvKindDir, type SysvKind } from '../kinds/sysv-dir.js';
import { OpenCount } from '../kinds/open-count.js';
import { countOption, modeOption, options, parseKey } from '../kinds/tokens.js';
import { allocIno, type DirNode, type FsContext, type FsNode, type Stat } from '../tree/node.js';
import { SemFile, SemObject } from './sem-file.js';

const valueOption = (v: string | undefined): number => countOption('value', v, 0);

/** A POSIX semaphore's file; label[1] is its name or id, remove what rm/rmid means for its kind. */
function posixFile(ctx: FsContext, quota: IpcQuota, label: [string, string], value: number, mode: number, remove: (file: SemFile) => void): SemFile {
  const sem = newPosix(label[1], value, mode, ctx.caller, quota);
  const file: SemFile = new SemFile(new SemObject(sem.set, sem.perm, 'posix', label, () => {
    remove(file);
    sem.charge.release(); // once, however often rmid/unlink runs
  }, undefined, (uid) => undoBudget(quota, uid)));
  return file;
}

/** named/: sem_open's names; sem_unlink takes the name, open handles keep working until closed. */
function namedPolicy(quota: IpcQuota): NamedKind<SemFile> {
  return {
    createOptions: { value: 'value' },
    createUsage: 'create NAME [value=N] [mode=OCTAL] [excl]',
    unlinkCall: 'sem_unlink',
    make: (ctx, posixName, mode, opts, gone) => posixFile(ctx, quota, ['name', posixName], valueOption(opts.get('value')), mode, gone),
  };
}

export type NamedDir = NamedKindDir<SemFile>;

export class UnnamedDir implements DirNode {
  readonly kind = 'dir';
  readonly ino = allocIno();
  private readonly sems = new Map<string, SemFile>();
  private mtime = Date.now();
  private readonly perm = { uid: 0, gid: 0, mode: KIND_DIR_MODE };
  constructor(private readonly quota: IpcQuota) {}
  private readonly createFile = new CreateFile('create [value=N] [mode=OCTAL] [transient]', (ctx, words, keep) => {
    const { positional, opts } = options(words.slice(1), { value: 'value', mode: 'value', transient: 'flag' });
    if (words[0] !== 'create' || positional.length) fail(Errno.EINVAL, 'usage: create [value=N] [mode=OCTAL] [transient]');
    const id = newUnnamedId((x) => this.sems.has(x));
    const file = this.add(ctx, id, valueOption(opts.get('value')), modeOption(opts.get('mode'), 0o600));
    if (opts.has('transient')) {
      // sem_init's semaphore: gone (as by rmid) with its last open file; the creating .new counts
      // as one until released, so the creator can open the ID first. A removal by rmid came first.
      const { obj } = file;
      obj.transient = new OpenCount(() => {
        if (!obj.removed) obj.remove();
      });
      keep(obj.transient.retain());
    }
    return id;
  });

  stat(): Stat {
    return dirStat(this.perm, this.mtime, 0);
  }

  lookup(name: string): FsNode | undefined {
    return name === CLONE_FILE ? this.createFile : this.sems.get(name);
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

/** sysv/: semget through `.new`, sets by semid, IPC_RMID by rm. */
function sysvPolicy(registry: SysvRegistry): SysvKind<SysvSemaphore, SemFile> {
  return {
    getUsage: 'semget KEY NSEMS [mode=OCTAL] [creat] [excl]   (KEY: 0x1234, decimal, or private)',
    get: (id) => registry.get(id),
    lookupKey: (key) => registry.lookupKey(key),
    values: () => registry.values(),
    linkTime: (sem) => sem.set.ctime,
    permOf: (sem) => sem.perm,
    fileOf: (sem, gone) => new SemFile(new SemObject(sem.set, sem.perm, 'sysv', ['semid', String(sem.id)], () => {
      registry.remove(sem);
      gone();
    }, sem.key, (uid) => undoBudget(registry.quota, uid))),
    getCommand: (ctx, words) => {
      const { positional, opts } = options(words.slice(1), { mode: 'value', creat: 'flag', excl: 'flag' });
      if (words[0] !== 'semget' || positional.length !== 2) fail(Errno.EINVAL, 'usage: semget KEY NSEMS [mode=OCTAL] [creat] [excl]');
      const [k, n] = positional as [string, string];
      const key = parseKey(k);
      if (!/^\d{1,10}$/.test(n)) fail(Errno.EINVAL, `nsems "${n}": a number`);
      let flags = modeOption(opts.get('mode'), 0o600);
      if (opts.has('creat') || key === IPC_PRIVATE) flags |= IPC_CREAT;
      if (opts.has('excl')) flags |= IPC_EXCL;
      return registry.semget(key, Number(n), flags, { uid: ctx.caller.uid, gid: ctx.caller.gid, pid: ctx.caller.tgid }).id;
    },
  };
}

export type SysvDir = SysvKindDir<SysvSemaphore, SemFile>;

export interface SemaphoreDirs {
  named: NamedDir;
  unnamed: UnnamedDir;
  sysv: SysvDir;
}

export function semaphoreDirs(registry = new SysvRegistry()): SemaphoreDirs {
  return {
    named: new NamedKindDir(namedPolicy(registry.quota), registry.quota),
    unnamed: new UnnamedDir(registry.quota),
    sysv: new SysvKindDir(sysvPolicy(registry)),
  };
}
