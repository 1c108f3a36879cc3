/**
 * Every limit of the daemon, by the name `ipcfs mount --limits` and `limits/ipcfs` use.
 * Linux's semaphore limits keep Linux's names and defaults; the rest are ipcfs's own: Linux has
 * no per-user count of IPC objects, and its file limits (RLIMIT_NOFILE, file-max) count the
 * caller's descriptors, not a daemon's memory.
 *
 * Message queues and shared memory add their own limits (/proc/sys/fs/mqueue's, SHMMIN..SHMALL
 * and a per-uid page bound) as resources of the same Quota and share `objects` and the handle limits.
 */
import { Errno } from './errno.js';
import { Quota, type ResourceLimit } from './quota.js';
import { LINUX_SEM_LIMITS, type SemLimits } from './semaphores/limits.js';
import { MQ_LIMITS, mqResourceLimits, type MqLimits, type MqQuotaLimits } from './mqueue/limits.js';
import { MSG_LIMITS, MSG_LIMIT_MAX, MSG_LIMIT_NAMES, type MsgLimits } from './msg/limits.js';
import type { UndoBudget } from './semaphores/undo.js';
import { SHM_LIMITS, SHM_LIMIT_NAMES, shmQuotaLimits, type ShmLimits } from './shm/limits.js';
import { JOBSERVER_LIMITS, JOBSERVER_LIMIT_NAMES, POOL_TOKENS_HARD_MAX, type JobserverLimits } from './jobserver/limits.js';

export interface IpcfsOwnLimits {
  /** IPC objects of every kind (and named/ subdirectories), all users */
  objects: number;
  /** open files on the mount, all users */
  handles: number;
  /** open directories on the mount, all users */
  dirStreams: number;
  /** objects one uid may have created (and not removed) */
  uidObjects: number;
  /** semaphores (SysV set members and POSIX semaphores) one uid's objects may hold */
  uidSemaphores: number;
  /** open files one uid may hold on the mount */
  uidHandles: number;
  /** open directories one uid may hold on the mount */
  uidDirStreams: number;
  /** undo adjustment entries (one per handle and semaphore), all users */
  undo: number;
  /** undo adjustment entries the handles one uid made hold */
  uidUndo: number;
}

/** Shared memory's limits as set at mount time (the page size is the machine's, not a limit). */
export type ShmMountLimits = Omit<ShmLimits, 'pageSize'>;

export type Limits = SemLimits & IpcfsOwnLimits & MqLimits & MqQuotaLimits & MsgLimits & ShmMountLimits & JobserverLimits;

const { pageSize: _pageSize, ...SHM_MOUNT_DEFAULTS } = SHM_LIMITS;
const { pageSize: _pageSizeName, ...SHM_MOUNT_NAMES } = SHM_LIMIT_NAMES;

/** The shared-memory limits of a mount, with the machine's page size. */
export function shmLimitsOf(l: Limits): ShmLimits {
  return { shmmin: l.shmmin, shmmax: l.shmmax, shmall: l.shmall, shmmni: l.shmmni, uidShmPages: l.uidShmPages, pageSize: SHM_LIMITS.pageSize };
}

export const DEFAULT_OWN_LIMITS: Readonly<IpcfsOwnLimits> = Object.freeze({
  objects: 65536,
  handles: 65536,
  dirStreams: 4096,
  uidObjects: 1024,
  uidSemaphores: 1048576,
  uidHandles: 1024,
  uidDirStreams: 256,
  undo: 1048576,
  uidUndo: 131072,
});

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({ ...LINUX_SEM_LIMITS, ...DEFAULT_OWN_LIMITS, ...MQ_LIMITS.defaults, ...MSG_LIMITS, ...SHM_MOUNT_DEFAULTS, ...JOBSERVER_LIMITS });

/** Limit names as written on the command line and in limits/ipcfs, in their order there. */
export const LIMIT_NAMES: Readonly<Record<keyof Limits, string>> = Object.freeze({
  semmsl: 'semmsl',
  semmns: 'semmns',
  semopm: 'semopm',
  semmni: 'semmni',
  semvmx: 'semvmx',
  semaem: 'semaem',
  objects: 'objects',
  handles: 'handles',
  dirStreams: 'dir-streams',
  uidObjects: 'uid-objects',
  uidSemaphores: 'uid-semaphores',
  uidHandles: 'uid-handles',
  uidDirStreams: 'uid-dir-streams',
  undo: 'undo',
  uidUndo: 'uid-undo',
  ...MQ_LIMITS.names,
  ...MSG_LIMIT_NAMES,
  ...SHM_MOUNT_NAMES,
  ...JOBSERVER_LIMIT_NAMES,
});

/** Largest value a limit may take (semvmx and semaem are shorts in Linux's ABI). */
const MAX: Partial<Record<keyof Limits, number>> = { semvmx: 32767, semaem: 32767, semmni: 32768, ...MQ_LIMITS.max, ...MSG_LIMIT_MAX, shmmni: 32768, poolTokens: POOL_TOKENS_HARD_MAX };
/** Smallest value (1 unless said): /proc/sys/fs/mqueue's msgsize limits start at 128. */
const MIN: Partial<Record<keyof Limits, number>> = { ...MQ_LIMITS.min };

/** "semmni=8,uid-handles=16" over base; an Error naming the bad part on an unknown name or value. */
export function parseLimits(text: string, base: Limits = DEFAULT_LIMITS): Limits {
  const out: Limits = { ...base };
  const byName = new Map(Object.entries(LIMIT_NAMES).map(([k, v]) => [v, k as keyof Limits]));
  for (const part of text.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = byName.get(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : part.slice(eq + 1);
    if (!key || !/^\d{1,15}$/.test(v) || Number(v) < (MIN[key] ?? 1) || Number(v) > (MAX[key] ?? Number.MAX_SAFE_INTEGER)) {
      throw new Error(`bad limit "${part}" (names: ${Object.values(LIMIT_NAMES).join(', ')}; positive integers${key && MIN[key] ? `, at least ${MIN[key]}` : ''}${key && MAX[key] ? `, at most ${MAX[key]}` : ''})`);
    }
    out[key] = Number(v);
  }
  return out;
}

/** What the quota counts. */
export type Resource = 'objects' | 'semSets' | 'semaphores' | 'handles' | 'dirStreams' | 'undo' | 'mqQueues' | 'mqBytes' | 'msgQueues' | 'shmSegments' | 'shmPages';

export type IpcQuota = Quota<Resource>;

export function quotaFor(l: Limits): IpcQuota {
  const obj = (global: number, perUid: number, label: string): ResourceLimit => ({ global, perUid, globalErrno: Errno.ENOSPC, uidErrno: Errno.ENOSPC, label });
  const file = (global: number, perUid: number, label: string): ResourceLimit => ({ global, perUid, globalErrno: Errno.ENFILE, uidErrno: Errno.EMFILE, label });
  return new Quota<Resource>({
    objects: obj(l.objects, l.uidObjects, 'objects'),
    semSets: obj(l.semmni, Infinity, 'SEMMNI (System V semaphore sets)'),
    semaphores: obj(l.semmns, l.uidSemaphores, 'SEMMNS (semaphores)'),
    handles: file(l.handles, l.uidHandles, 'open files'),
    dirStreams: file(l.dirStreams, l.uidDirStreams, 'open directories'),
    // semop's answer when it cannot allocate the undo structure
    undo: { global: l.undo, perUid: l.uidUndo, globalErrno: Errno.ENOMEM, uidErrno: Errno.ENOMEM, label: 'undo entries' },
    ...mqResourceLimits(l),
    msgQueues: obj(l.msgmni, Infinity, 'MSGMNI (System V message queues)'),
    ...shmQuotaLimits(shmLimitsOf(l)),
  });
}

/** A handle's undo entries as quota of uid: taken when entries appear, given back as they go. */
export function undoBudget(quota: IpcQuota, uid: number): UndoBudget {
  return {
    take: (n) => void quota.charge(uid, { undo: n }, 'semop SEM_UNDO'),
    give: (n) => quota.credit(uid, { undo: n }),
  };
}
