/**
 * shared-memory/: POSIX objects and System V segments as policies on the kind layer (fs/kinds),
 * their bytes in MemoryFiles (fs/memory/memory-file.ts), and the status mirror:
 *   named/    shm_open's objects; open(O_CREAT) makes an empty one, `.new` runs
 *             `create NAME [size=N] [mode=OCTAL] [excl]`; rm is shm_unlink
 *   sysv/     segments by shmid, by-key/ links; `.new` runs `shmget KEY SIZE [mode=OCTAL] [creat]
 *             [excl]`; rm is IPC_RMID (SHM_DEST, destroyed at nattch 0)
 *   status/   named/... and sysv/<shmid>: each object's status, read without touching its memory
 */
import { readFileSync } from 'node:fs';
import { Errno, fail } from '../../ipc/errno.js';
import { shmLimitsOf, type IpcQuota, type Limits } from '../../ipc/limits.js';
import { ROOT_UID } from '../../ipc/quota.js';
import { POSIX_SHM_MAX_SIZE, PosixShm } from '../../ipc/shm/posix.js';
import { IPC_CREAT, IPC_EXCL, IPC_PRIVATE, SysvShmRegistry, type SysvSegment } from '../../ipc/shm/sysv.js';
import { NO_BACKING_FILES, type BackingFiles } from '../fuse/backing.js';
import { NamedKindDir, type NamedKind } from '../kinds/named-dir.js';
import { SysvKindDir, type SysvKind } from '../kinds/sysv-dir.js';
import { countOption, modeOption, options, parseKey } from '../kinds/tokens.js';
import { MemoryFile, type MemoryFileOptions, type MemoryPathChoice } from '../memory/memory-file.js';
import type { FsContext } from '../tree/node.js';
import { StaticDir } from '../tree/static-dir.js';
import { PosixShmObject, SysvShmObject } from './objects.js';
import { ShmFile, isShmFile } from './shm-file.js';
import { StatusDir } from '../kinds/status-dir.js';

export type PosixShmFile = ShmFile<PosixShmObject>;
export type SysvShmFile = ShmFile<SysvShmObject>;

interface ShmEnv {
  limits: Limits;
  quota: IpcQuota;
  backing: BackingFiles;
  path: MemoryPathChoice;
  memfds: MemfdBudget;
}

/** Descriptors the daemon keeps for itself: /dev/fuse, stdio, node's own, spawning umount, /proc reads. */
const RESERVED_DESCRIPTORS = 64;

/** The daemon's RLIMIT_NOFILE (soft), from /proc/self/limits; 1024 (the usual default) if unreadable. */
function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  } catch {
    // no /proc: the default below
  }
  return 1024;
}

/**
 * Every object's memory is a memfd, one descriptor of the daemon's: objects may use what its
 * RLIMIT_NOFILE leaves after a reserve, so creating objects can never take the descriptors the
 * daemon needs to serve and to unmount. Past it a create is refused with the kind's errno.
 */
class MemfdBudget {
  private used = 0;
  constructor(private readonly max: number) {}

  /** Makes a MemoryFile within the budget; errno when none is left (nothing made). */
  make(errno: number, o: Omit<MemoryFileOptions, 'onFree'>): MemoryFile {
    if (this.used >= this.max) fail(errno, `the daemon's descriptors for shared memory are used up (${this.max} objects; RLIMIT_NOFILE less ${RESERVED_DESCRIPTORS})`);
    const memory = new MemoryFile({ ...o, onFree: () => this.used-- });
    this.used++;
    return memory;
  }
}

/**
 * The largest size a POSIX object's memory may take by a write past its end (page-cache path;
 * truncate is bounded by the page charge): a user's whole page limit, root's the largest file.
 */
function posixMaxSize(env: ShmEnv, uid: number): number {
  const l = shmLimitsOf(env.limits);
  return uid === ROOT_UID ? POSIX_SHM_MAX_SIZE : Math.min(POSIX_SHM_MAX_SIZE, l.uidShmPages * l.pageSize);
}

/** named/: shm_open, ftruncate, shm_unlink. */
function namedPolicy(env: ShmEnv): NamedKind<PosixShmFile> {
  const limits = shmLimitsOf(env.limits);
  return {
    createOptions: { size: 'value' },
    createUsage: 'create NAME [size=N] [mode=OCTAL] [excl]',
    unlinkCall: 'shm_unlink',
    make: (ctx, name, mode, opts, gone) => {
      const size = countOption('size', opts.get('size'), 0);
      const shm = new PosixShm(name, ctx.caller, mode, env.quota, limits); // charges one object
      let memory: MemoryFile;
      try {
        memory = env.memfds.make(Errno.ENFILE, {
          name: `ipcfs-shm:${name}`, backing: env.backing, path: env.path, mode, uid: ctx.caller.uid, gid: ctx.caller.gid,
          maxSize: posixMaxSize(env, ctx.caller.uid),
        });
      } catch (err) {
        shm.unlink();
        throw err;
      }
      const file: PosixShmFile = new ShmFile(new PosixShmObject(shm, memory, () => gone(file)));
      if (size > 0) {
        try {
          file.obj.truncate(ctx, size);
        } catch (err) {
          file.obj.remove(); // all or nothing: no object of another size
          throw err;
        }
      }
      return file;
    },
  };
}

/** sysv/: shmget through `.new`, segments by shmid, IPC_RMID by rm. */
function sysvPolicy(env: ShmEnv, registry: SysvShmRegistry, memories: Map<SysvSegment, MemoryFile>): SysvKind<SysvSegment, SysvShmFile> {
  const usage = 'shmget KEY SIZE [mode=OCTAL] [creat] [excl]   (KEY: 0x1234, decimal, or private)';
  return {
    getUsage: usage,
    get: (id) => registry.get(id),
    lookupKey: (key) => registry.lookupKey(key),
    values: () => registry.values(),
    linkTime: (seg) => seg.ds.ctimeMs,
    permOf: (seg) => seg.perm,
    fileOf: (seg, gone) => {
      const memory = memories.get(seg);
      if (!memory) fail(Errno.EIDRM, `segment ${seg.id} has no memory`);
      const file = new ShmFile(new SysvShmObject(seg, memory, registry));
      seg.watchers.add(() => {
        if (seg.gone) gone();
      });
      return file;
    },
    getCommand: (ctx: FsContext, words) => {
      const { positional, opts } = options(words.slice(1), { mode: 'value', creat: 'flag', excl: 'flag' });
      if (words[0] !== 'shmget' || positional.length !== 2) fail(Errno.EINVAL, `usage: ${usage}`);
      const [k, n] = positional as [string, string];
      const key = parseKey(k);
      // any decimal: a size past what a safe integer holds is EINVAL in shmget, as past SHMMAX
      if (!/^\d{1,20}$/.test(n)) fail(Errno.EINVAL, `size "${n}": a non-negative decimal`);
      let flags = modeOption(opts.get('mode'), 0o600);
      if (opts.has('creat') || key === IPC_PRIVATE) flags |= IPC_CREAT;
      if (opts.has('excl')) flags |= IPC_EXCL;
      const seg = registry.shmget(key, Number(n), flags, { uid: ctx.caller.uid, gid: ctx.caller.gid, pid: ctx.caller.tgid, groups: ctx.caller.groups });
      if (!memories.has(seg)) {
        try {
          memories.set(seg, env.memfds.make(Errno.ENOSPC, {
            name: `ipcfs-shm:sysv-${seg.id}`, backing: env.backing, path: env.path, mode: seg.ds.perm.mode,
            uid: ctx.caller.uid, gid: ctx.caller.gid, maxSize: seg.ds.segsz, fixedSize: seg.ds.segsz,
          }));
        } catch (err) {
          registry.remove(seg); // nothing attached: destroyed, its charges given back
          throw err;
        }
      }
      return seg.id;
    },
  };
}

export interface ShmDirs {
  named: NamedKindDir<PosixShmFile>;
  sysv: SysvKindDir<SysvSegment, SysvShmFile>;
  status: StaticDir;
  /** the System V segments (sysvipc/shm) */
  registry: SysvShmRegistry;
  /** a segment's resident bytes (sysvipc/shm's rss); 0 once its memory is freed */
  residentBytes(seg: SysvSegment): number;
}

export function shmDirs(limits: Limits, quota: IpcQuota, backing: BackingFiles = NO_BACKING_FILES, path: MemoryPathChoice = 'auto'): ShmDirs {
  const env: ShmEnv = { limits, quota, backing, path, memfds: new MemfdBudget(Math.max(0, openFileLimit() - RESERVED_DESCRIPTORS)) };
  const registry = new SysvShmRegistry(shmLimitsOf(limits), quota);
  const memories = new Map<SysvSegment, MemoryFile>();
  registry.onDestroy = (seg) => {
    memories.get(seg)?.remove(); // freed now, or with the last release of an open file
    memories.delete(seg);
  };
  const named = new NamedKindDir(namedPolicy(env), quota);
  const sysv = new SysvKindDir(sysvPolicy(env, registry, memories));
  const status = new StaticDir(0o555).add('named', new StatusDir(named, isShmFile)).add('sysv', new StatusDir(sysv, isShmFile));
  return { named, sysv, status, registry, residentBytes: (seg) => memories.get(seg)?.residentBytes ?? 0 };
}
