/** Linux's semaphore limits (ipc/sem.c, include/uapi/linux/sem.h), configurable per daemon. */
export interface SemLimits {
  /** max semaphores per set */
  semmsl: number;
  /** max semaphores system-wide */
  semmns: number;
  /** max operations per semop call */
  semopm: number;
  /** max sets system-wide */
  semmni: number;
  /** max value of a SysV semaphore */
  semvmx: number;
  /** max absolute undo adjustment */
  semaem: number;
}

export const LINUX_SEM_LIMITS: Readonly<SemLimits> = Object.freeze({
  semmsl: 32000,
  semmns: 32000 * 32000,
  semopm: 500,
  semmni: 32000,
  semvmx: 32767,
  semaem: 32767,
});

/** POSIX SEM_VALUE_MAX on Linux (INT_MAX). */
export const SEM_VALUE_MAX = 2147483647;
