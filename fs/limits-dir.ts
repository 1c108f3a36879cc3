/**
 * limits/: the daemon's limits and usage, read-only (0444; set at mount time with --limits).
 *   limits/sem     SEMMSL SEMMNS SEMOPM SEMMNI, tab-separated: /proc/sys/kernel/sem's format
 *   limits/ipcfs   every limit and the current usage, `key: value` lines (docs/protocol.md, Limits)
 *   limits/shmmax shmall shmmni msgmax msgmnb msgmni
 *                  one value each, as /proc/sys/kernel/<name> prints it
 *   limits/mqueue/{msg_default,msg_max,msgsize_default,msgsize_max,queues_max}
 *                  as /proc/sys/fs/mqueue/<name> prints it
 * The /proc/sysvipc-style tables of the objects themselves are sysvipc/ (fs/sysvipc/dir.ts).
 */
import { LIMIT_NAMES, type IpcQuota, type Limits, type Resource } from '../ipc/limits.js';
import { SHM_LIMITS } from '../ipc/shm/limits.js';
import { StaticDir } from './tree/static-dir.js';
import type { FsContext } from './tree/node.js';
import { ReadOnlyTextFile } from './tree/read-only-text.js';
import { wholeText } from './tree/text-file.js';

/** A limits file: its text rendered for each reader (tree/read-only-text.ts). */
const limitsFile = (render: (ctx: FsContext) => string): ReadOnlyTextFile =>
  new ReadOnlyTextFile((ctx) => wholeText(() => render(ctx)), 'limits are read-only; set them with ipcfs mount --limits');

/** Usage lines: name as in limits/ipcfs, the resource counted. */
const USAGE: [string, Resource][] = [
  ['objects', 'objects'],
  ['sem-sets', 'semSets'],
  ['semaphores', 'semaphores'],
  ['handles', 'handles'],
  ['dir-streams', 'dirStreams'],
  ['undo', 'undo'],
  ['mq-queues', 'mqQueues'],
  ['mq-bytes', 'mqBytes'],
  ['msg-queues', 'msgQueues'],
  ['shm-segments', 'shmSegments'],
  ['shm-pages', 'shmPages'],
];
const UID_USAGE: [string, Resource][] = [
  ['uid-objects', 'objects'],
  ['uid-semaphores', 'semaphores'],
  ['uid-handles', 'handles'],
  ['uid-dir-streams', 'dirStreams'],
  ['uid-undo', 'undo'],
  ['uid-mq-bytes', 'mqBytes'],
  ['uid-shm-pages', 'shmPages'],
];

export function semLimitsText(l: Limits): string {
  return `${l.semmsl}\t${l.semmns}\t${l.semopm}\t${l.semmni}\n`;
}

/** Limits, then usage by everyone, then the reader's own usage (uid: the reader's). */
export function ipcfsLimitsText(l: Limits, quota: IpcQuota, uid: number): string {
  const lines = (Object.keys(LIMIT_NAMES) as (keyof Limits)[]).map((k) => `${LIMIT_NAMES[k]}: ${ulongText(l[k])}`);
  for (const [name, r] of USAGE) lines.push(`${name}-used: ${quota.used(r)}`);
  lines.push(`uid: ${uid}`);
  for (const [name, r] of UID_USAGE) lines.push(`${name}-used: ${quota.usedBy(uid, r)}`);
  return lines.join('\n') + '\n';
}

/**
 * Linux's default SHMMAX and SHMALL (ULONG_MAX - 2^24) are kept as the nearest double, one above
 * the real value (ipc/shm/limits.ts): printed as the kernel prints them. Every other value a mount
 * can have is a safe integer (parseLimits), printed as it is.
 */
const LINUX_SHM_HUGE_TEXT = (2n ** 64n - 1n - (1n << 24n)).toString();
export function ulongText(v: number): string {
  return v === SHM_LIMITS.shmmax && !Number.isSafeInteger(v) ? LINUX_SHM_HUGE_TEXT : String(v);
}

/** limits/ files shaped as /proc/sys/kernel's (one decimal and a newline), file name -> limit. */
const KERNEL_FILES: [string, keyof Limits][] = [
  ['shmmax', 'shmmax'],
  ['shmall', 'shmall'],
  ['shmmni', 'shmmni'],
  ['msgmax', 'msgmax'],
  ['msgmnb', 'msgmnb'],
  ['msgmni', 'msgmni'],
];
/** limits/mqueue/ as /proc/sys/fs/mqueue/. */
const MQUEUE_FILES: [string, keyof Limits][] = [
  ['msg_default', 'msgDefault'],
  ['msg_max', 'msgMax'],
  ['msgsize_default', 'msgsizeDefault'],
  ['msgsize_max', 'msgsizeMax'],
  ['queues_max', 'queuesMax'],
];

/** One limit as its /proc/sys file prints it ("%lu\n" or "%d\n": the same digits). */
export function sysctlText(l: Limits, key: keyof Limits): string {
  return `${ulongText(l[key])}\n`;
}

export function limitsDir(limits: Limits, quota: IpcQuota): StaticDir {
  const dir = new StaticDir(0o555)
    .add('sem', limitsFile(() => semLimitsText(limits)))
    .add('ipcfs', limitsFile((ctx) => ipcfsLimitsText(limits, quota, ctx.caller.uid)));
  for (const [name, key] of KERNEL_FILES) dir.add(name, limitsFile(() => sysctlText(limits, key)));
  const mqueue = new StaticDir(0o555);
  for (const [name, key] of MQUEUE_FILES) mqueue.add(name, limitsFile(() => sysctlText(limits, key)));
  return dir.add('mqueue', mqueue);
}
