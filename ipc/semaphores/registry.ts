/**
 * The semaphores that exist: System V sets by key and id (semget semantics), POSIX named
 * semaphores by name, unnamed ones by id. Pure bookkeeping; permission checks are ipcperms'.
 */
import { Errno, fail } from '../errno.js';
import { DEFAULT_LIMITS, quotaFor, type IpcQuota } from '../limits.js';
import type { Charge } from '../quota.js';
import { LINUX_SEM_LIMITS, SEM_VALUE_MAX, type SemLimits } from './limits.js';
import { newPerm, SysvIds } from '../sysv-ids.js';
import type { IpcPerm, Who } from './perms.js';
import { SemSet } from './sem-set.js';

export { IPC_CREAT, IPC_EXCL, IPC_PRIVATE } from '../sysv-ids.js';

export interface Semaphore {
  set: SemSet;
  perm: IpcPerm;
  /** what its creator was charged (objects, semaphores); released when it is removed */
  charge: Charge;
}

export interface SysvSemaphore extends Semaphore {
  id: number;
  key: number;
}

export interface Creator extends Who {
  pid: number;
}

export class SysvRegistry {
  private readonly ids = new SysvIds<SysvSemaphore>();

  /** quota: where sets are charged (to their creator's uid); its own, from limits, when absent */
  constructor(
    readonly limits: SemLimits = LINUX_SEM_LIMITS,
    private readonly now: () => number = Date.now,
    readonly quota: IpcQuota = quotaFor({ ...DEFAULT_LIMITS, ...limits }),
  ) {}

  get(id: number): SysvSemaphore | undefined {
    return this.ids.get(id);
  }

  lookupKey(key: number): SysvSemaphore | undefined {
    return this.ids.lookupKey(key);
  }

  all(): SysvSemaphore[] {
    return [...this.ids.values()];
  }

  /** Grows at each creation and removal (SysvIds.changes). */
  get changes(): number {
    return this.ids.changes;
  }

  /** The sets in creation order, lazily: a live iterator sees removals and appends (Map order). */
  values(): IterableIterator<SysvSemaphore> {
    return this.ids.values();
  }

  /** semget(key, nsems, semflg): flags are IPC_CREAT | IPC_EXCL | mode. */
  semget(key: number, nsems: number, flags: number, who: Creator): SysvSemaphore {
    if (!Number.isInteger(nsems) || nsems < 0 || nsems > this.limits.semmsl) fail(Errno.EINVAL, `nsems must be in 0..${this.limits.semmsl}`);
    const found = this.ids.existing(key, flags, who, (s) => s.perm, 'semget', 'set');
    if (found) {
      if (nsems > found.set.nsems) fail(Errno.EINVAL, `set has ${found.set.nsems} semaphores`);
      return found;
    }
    if (nsems === 0) fail(Errno.EINVAL, 'nsems must be at least 1 to create a set');
    // SEMMNI, SEMMNS and the creator's own limits: ENOSPC as Linux's semget, nothing changed
    const charge = this.quota.charge(who.uid, { objects: 1, semSets: 1, semaphores: nsems }, 'semget');
    const set = new SemSet({ nsems, max: this.limits.semvmx, overflowErrno: Errno.ERANGE, maxAdj: this.limits.semaem, maxOps: this.limits.semopm, now: this.now });
    return this.ids.add(key, (id) => ({ id, key, set, perm: newPerm(who, flags), charge }));
  }

  /** IPC_RMID: the id and key go, waiters get EIDRM. Permission: the caller checks owner rules. */
  remove(sem: SysvSemaphore): void {
    if (!this.ids.remove(sem)) return;
    sem.charge.release();
    sem.set.remove();
  }
}

/** POSIX semaphores: a set of one, up to SEM_VALUE_MAX, EOVERFLOW past it. */
export function newPosixSet(value: number, limits: SemLimits = LINUX_SEM_LIMITS, now?: () => number): SemSet {
  if (!Number.isInteger(value) || value < 0 || value > SEM_VALUE_MAX) fail(Errno.EINVAL, `value must be in 0..${SEM_VALUE_MAX}`);
  return new SemSet({ nsems: 1, max: SEM_VALUE_MAX, overflowErrno: Errno.EOVERFLOW, maxAdj: SEM_VALUE_MAX, maxOps: limits.semopm, now }, [value]);
}

export interface PosixSemaphore extends Semaphore {
  /** '/some-app/sema-1' for named, '9A87F312' for unnamed */
  name: string;
}

/** A POSIX semaphore charged to who (one object, one semaphore); the caller releases sem.charge when it goes. */
export function newPosix(name: string, value: number, mode: number, who: Who, quota: IpcQuota, now?: () => number): PosixSemaphore {
  const set = newPosixSet(value, LINUX_SEM_LIMITS, now);
  const charge = quota.charge(who.uid, { objects: 1, semaphores: 1 }, 'sem_open');
  return { name, set, perm: newPerm(who, mode), charge };
}

/** A fresh unnamed-semaphore id: 8 upper-case hex digits, not in use. */
export function newUnnamedId(taken: (id: string) => boolean, random: () => number = Math.random): string {
  for (;;) {
    const id = Math.floor(random() * 0x100000000).toString(16).toUpperCase().padStart(8, '0');
    if (!taken(id)) return id;
  }
}
