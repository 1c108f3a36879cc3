/**
 * The limits `ipcfs ipcs -l` shows, from the mount: `limits/sem` (/proc/sys/kernel/sem's four
 * numbers), `limits/{shmmax,shmall,shmmni,msgmax,msgmnb,msgmni}` and `limits/mqueue/*` where the
 * mount has them (as /proc/sys/kernel/X and /proc/sys/fs/mqueue/X print them), else the same
 * names in `limits/ipcfs` (`name: value` lines). 64-bit sizes are kept exact (bigint).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStatus } from './ipc-objects.js';

export interface IpcsLimits {
  msgmni: number;
  msgmax: bigint;
  msgmnb: bigint;
  shmmni: bigint;
  shmmax: bigint;
  /** pages */
  shmall: bigint;
  shmmin: bigint;
  pageSize: number;
  semmsl: number;
  semmns: number;
  semopm: number;
  semmni: number;
  semvmx: number;
  queuesMax: number;
  msgMax: number;
  msgsizeMax: bigint;
  msgDefault: number;
  msgsizeDefault: bigint;
  /** POSIX SEM_VALUE_MAX (INT_MAX on Linux) */
  semValueMax: number;
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** A decimal as an exact integer ("Infinity" and the like as 0). */
function big(text: string | undefined): bigint {
  const m = /^-?\d+/.exec(text ?? '');
  return m ? BigInt(m[0]) : 0n;
}

export function ipcsLimits(mount: string): IpcsLimits {
  const dir = join(mount, 'limits');
  const ipcfs = parseStatus(readOr(join(dir, 'ipcfs')) ?? '');
  const table = (name: string): string | undefined => ipcfs.get(name)?.[0];
  const value = (file: string, name = file): bigint => big(readOr(join(dir, file)) ?? table(name));
  const sem = (readOr(join(dir, 'sem')) ?? '').split(/\s+/).map(Number);
  const semField = (i: number, name: string): number => (Number.isFinite(sem[i]) && sem.length >= 4 ? sem[i]! : Number(big(table(name))));
  return {
    msgmni: Number(value('msgmni')),
    msgmax: value('msgmax'),
    msgmnb: value('msgmnb'),
    shmmni: value('shmmni'),
    shmmax: value('shmmax'),
    shmall: value('shmall'),
    shmmin: big(table('shmmin') ?? '1'),
    pageSize: Number(big(table('page-size') ?? '4096')) || 4096,
    semmsl: semField(0, 'semmsl'),
    semmns: semField(1, 'semmns'),
    semopm: semField(2, 'semopm'),
    semmni: semField(3, 'semmni'),
    semvmx: Number(big(table('semvmx') ?? '32767')),
    queuesMax: Number(value('mqueue/queues_max', 'queues_max')),
    msgMax: Number(value('mqueue/msg_max', 'msg_max')),
    msgsizeMax: value('mqueue/msgsize_max', 'msgsize_max'),
    msgDefault: Number(value('mqueue/msg_default', 'msg_default')),
    msgsizeDefault: value('mqueue/msgsize_default', 'msgsize_default'),
    semValueMax: 2147483647,
  };
}
