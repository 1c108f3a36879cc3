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

/** "semmsl=250,semopm=32" over the Linux defaults; EINVAL-style Error on an unknown or bad field. */
export function parseSemLimits(text: string, base: SemLimits = LINUX_SEM_LIMITS): SemLimits {
  const out: SemLimits = { ...base };
  for (const part of text.split(',').filter(Boolean)) {
    const [k, v] = part.split('=');
    if (!k || !Object.hasOwn(out, k) || !v || !/^\d+$/.test(v) || Number(v) < 1) throw new Error(`bad semaphore limit "${part}" (${Object.keys(out).join(', ')}, positive integers)`);
    out[k as keyof SemLimits] = Number(v);
  }
  return out;
}
