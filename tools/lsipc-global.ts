/**
 * lsipc --global: RESOURCE DESCRIPTION LIMIT USED USE% for each kind asked, in util-linux 2.41's
 * order (System V queues, POSIX queues, shared memory, semaphores). The descriptions of the rows
 * util-linux 2.38 has are 2.38's (the system's lsipc is the test's reference); the POSIX queue rows
 * (MQUMNI, MQUMAX, MQUMNB) are 2.41's. LIMIT is the mount's (limits/ files, in /proc's formats),
 * USED what the mount holds. A limit the mount does not publish leaves its row out rather than
 * showing a number that is not the mount's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { humanSize, usePercent } from './lsipc-format.js';

export interface GlobalRow {
  resource: string;
  description: string;
  limit: bigint;
  /** null: lsipc shows "-" for USED and USE% */
  used: bigint | null;
  /** LIMIT (and USED) in human units unless -b */
  bytes: boolean;
}

export type Limits = Partial<Record<string, bigint>>;

export interface Usage {
  msgQueues: number;
  posixQueues: number;
  shmSegments: number;
  /** sum of the segments' sizes, bytes */
  shmBytes: number;
  semSets: number;
  semaphores: number;
}

/** The rows of one kind ('msg', 'pmsg', 'shm', 'sem'); POSIX shm and semaphores have none. */
export function globalRows(kind: string, lim: Limits, use: Usage, pageSize: number): GlobalRow[] {
  const row = (resource: string, description: string, limit: bigint | undefined, used: number | null, bytes = false): GlobalRow[] =>
    limit === undefined ? [] : [{ resource, description, limit, used: used === null ? null : BigInt(used), bytes }];
  switch (kind) {
    case 'msg':
      return [...row('MSGMNI', 'Number of message queues', lim.msgmni, use.msgQueues), ...row('MSGMAX', 'Max size of message (bytes)', lim.msgmax, null, true), ...row('MSGMNB', 'Default max size of queue (bytes)', lim.msgmnb, null, true)];
    case 'pmsg':
      return [
        ...row('MQUMNI', 'Number of POSIX message queues', lim.queues_max, use.posixQueues),
        ...row('MQUMAX', 'Max size of POSIX message (bytes)', lim.msgsize_max, null, true),
        ...row('MQUMNB', 'Number of messages in POSIX message queue', lim.msg_max, null),
      ];
    case 'shm':
      return [
        ...row('SHMMNI', 'Shared memory segments', lim.shmmni, use.shmSegments),
        ...row('SHMALL', 'Shared memory pages', lim.shmall, Math.floor(use.shmBytes / pageSize)),
        ...row('SHMMAX', 'Max size of shared memory segment (bytes)', lim.shmmax, null, true),
        ...row('SHMMIN', 'Min size of shared memory segment (bytes)', lim.shmmin, null, true),
      ];
    case 'sem':
      return [
        ...row('SEMMNI', 'Number of semaphore identifiers', lim.semmni, use.semSets),
        ...row('SEMMNS', 'Total number of semaphores', lim.semmns, use.semaphores),
        ...row('SEMMSL', 'Max semaphores per semaphore set.', lim.semmsl, null),
        ...row('SEMOPM', 'Max number of operations per semop(2)', lim.semopm, null),
        ...row('SEMVMX', 'Semaphore max value', lim.semvmx, null),
      ];
  }
  return [];
}

/** The cells RESOURCE DESCRIPTION LIMIT USED USE% of a row (lsipc's global_set_data). */
export function globalCells(r: GlobalRow, bytes: boolean): Record<string, string> {
  const n = (v: bigint): string => (!r.bytes || bytes ? v.toString() : humanSize(v));
  return {
    RESOURCE: r.resource,
    DESCRIPTION: r.description,
    LIMIT: n(r.limit),
    USED: r.used === null ? '-' : n(r.used),
    'USE%': r.used === null ? '-' : usePercent(r.used, r.limit),
  };
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

const big = (s: string | undefined): bigint | undefined => (s !== undefined && /^\d+$/.test(s.trim()) ? BigInt(s.trim()) : undefined);

/**
 * The mount's limits: limits/sem (SEMMSL SEMMNS SEMOPM SEMMNI), limits/{msgmax,msgmnb,msgmni,
 * shmmax,shmall,shmmni} and limits/mqueue/* when the mount has them, else the same names in
 * limits/ipcfs (SEMVMX and SHMMIN too, else Linux's 32767 and 1, the values util-linux shows).
 */
export function readLimits(mount: string): Limits {
  const dir = join(mount, 'limits');
  const own = new Map<string, string>();
  for (const line of (readText(join(dir, 'ipcfs')) ?? '').split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) own.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  const lim: Limits = {};
  const sem = (readText(join(dir, 'sem')) ?? '').trim().split(/\s+/);
  if (sem.length === 4) [lim.semmsl, lim.semmns, lim.semopm, lim.semmni] = sem.map(big);
  lim.semvmx = big(own.get('semvmx')) ?? 32767n;
  for (const name of ['msgmax', 'msgmnb', 'msgmni', 'shmmax', 'shmall', 'shmmni']) lim[name] = big(readText(join(dir, name)) ?? own.get(name));
  lim.shmmin = big(own.get('shmmin')) ?? 1n;
  for (const name of ['msg_max', 'msgsize_max', 'queues_max']) lim[name] = big(readText(join(dir, 'mqueue', name)) ?? own.get(name));
  return lim;
}
