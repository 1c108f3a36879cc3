/**
 * Shared-memory limits: Linux's System V names and defaults (include/uapi/linux/shm.h, the same in
 * the machine's /usr/include/linux/shm.h and in the kernel tree: SHMMIN 1, SHMMNI 4096, SHMMAX and
 * SHMALL ULONG_MAX - (1UL << 24); ipc/shm.c newseg applies them), and ipcfs's own per-user bound
 * on memory, because Linux's SHMALL is effectively unlimited and every byte here is the daemon's.
 *
 * SHMMAX and SHMALL do not fit a double exactly (2^64 - 2^24 - 1): they are kept as the nearest
 * double, which orders the same way against every size a request can carry (sizes are safe
 * integers; see shmget). ipc/limits.ts takes them (names, parsing, quotaFor) but the page size.
 */
import { Errno } from '../errno.js';
import type { Amounts, ResourceLimit } from '../quota.js';

export interface ShmLimits {
  /** smallest segment (bytes): shmget(size < SHMMIN) is EINVAL */
  shmmin: number;
  /** largest segment (bytes): shmget(size > SHMMAX) is EINVAL (/proc/sys/kernel/shmmax) */
  shmmax: number;
  /** pages of System V segments, all users: ENOSPC past it (/proc/sys/kernel/shmall) */
  shmall: number;
  /** System V segments, all users: ENOSPC past it (/proc/sys/kernel/shmmni) */
  shmmni: number;
  /** pages of shared memory (System V and POSIX) one uid's objects may hold (root exempt): ENOMEM */
  uidShmPages: number;
  /** the page size sizes are rounded to (x86-64 and most others: 4096) */
  pageSize: number;
}

/** ULONG_MAX - (1UL << 24) on 64-bit Linux, as the nearest double. */
const LINUX_SHM_HUGE = Number(2n ** 64n - 1n - (1n << 24n));

export const SHM_LIMITS: Readonly<ShmLimits> = Object.freeze({
  shmmin: 1,
  shmmax: LINUX_SHM_HUGE,
  shmall: LINUX_SHM_HUGE,
  shmmni: 4096,
  // 1 GiB of 4 KiB pages per user: the daemon's memory is shared by everyone who uses the mount.
  uidShmPages: 262144,
  pageSize: 4096,
});

/** Names as written on the command line and in limits/ipcfs (for the lead's LIMIT_NAMES). */
export const SHM_LIMIT_NAMES: Readonly<Record<keyof ShmLimits, string>> = Object.freeze({
  shmmin: 'shmmin',
  shmmax: 'shmmax',
  shmall: 'shmall',
  shmmni: 'shmmni',
  uidShmPages: 'uid-shm-pages',
  pageSize: 'page-size',
});

/** What shared memory charges: with `objects`, the Quota's resources (for the lead's quotaFor). */
export type ShmResource = 'objects' | 'shmSegments' | 'shmPages';

/** The Quota limits of the shared-memory resources (objects is the common one, already there). */
export function shmQuotaLimits(l: ShmLimits): Record<Exclude<ShmResource, 'objects'>, ResourceLimit> {
  return {
    shmSegments: { global: l.shmmni, perUid: Infinity, globalErrno: Errno.ENOSPC, uidErrno: Errno.ENOSPC, label: 'SHMMNI (System V segments)' },
    // shmget(2): ENOSPC past SHMALL; ENOMEM "no memory could be allocated" for a user's own bound
    shmPages: { global: l.shmall, perUid: l.uidShmPages, globalErrno: Errno.ENOSPC, uidErrno: Errno.ENOMEM, label: 'shared memory pages' },
  };
}

/** The part of a Quota shared memory uses (a Quota over a superset of ShmResource is one). */
export interface ShmQuota {
  charge(uid: number, amounts: Amounts<ShmResource>, what?: string): ShmCharge;
}

/** A charge: given back once (ipc/quota.ts Charge). */
export interface ShmCharge {
  release(): void;
}

/** Pages a size occupies: (size + PAGE_SIZE - 1) >> PAGE_SHIFT, as ipc/shm.c newseg. */
export function pagesOf(size: number, pageSize: number): number {
  return Math.ceil(size / pageSize);
}
