import { readFileSync } from 'node:fs';
import type { Caller } from './ops.js';

/**
 * The caller of one request. The header's pid is a thread id; the process id (tgid) costs a read of
 * /proc/<tid>/status, so it is looked up only when a handler asks (opening a handle, recording a
 * holder), never on the hot path of a plain write.
 */
export class RequestCaller implements Caller {
  private cachedTgid = -1;
  private cachedGroups: readonly number[] | null = null;
  constructor(readonly uid: number, readonly gid: number, readonly pid: number) {}

  get tgid(): number {
    if (this.cachedTgid < 0) this.cachedTgid = tgidOf(this.pid);
    return this.cachedTgid;
  }

  /** Supplementary groups: read only when a permission check falls through to the group class. */
  get groups(): readonly number[] {
    if (this.cachedGroups === null) this.cachedGroups = groupsOf(this.pid);
    return this.cachedGroups;
  }
}

/**
 * tid -> tgid, remembered for a second: a client issuing operations in a loop costs one /proc read
 * per second instead of one per request. A tid is reused only after its thread is gone, and a
 * second is far shorter than the kernel's walk through the pid space before reusing one.
 */
const TGID_TTL_MS = 1000;
const MAX_CACHED = 4096;
const cache = new Map<number, { tgid: number; at: number }>();
const groupCache = new Map<number, { groups: readonly number[]; at: number }>();

/** The thread group (process) of a thread; the tid itself if /proc no longer knows it. */
export function tgidOf(tid: number): number {
  if (tid <= 0) return tid;
  const now = Date.now();
  const hit = cache.get(tid);
  if (hit && now - hit.at < TGID_TTL_MS) return hit.tgid;
  const tgid = readTgid(tid);
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(tid, { tgid, at: now });
  return tgid;
}

/**
 * A thread's supplementary groups (the `Groups:` line of /proc/<tid>/status), remembered as briefly
 * as its tgid: a setgroups(2) takes effect for new requests within TGID_TTL_MS. None when the
 * request comes from the kernel itself (pid 0) or the thread is gone: the checks then use uid and
 * gid alone, which can only refuse more, never grant more.
 */
export function groupsOf(tid: number): readonly number[] {
  if (tid <= 0) return [];
  const now = Date.now();
  const hit = groupCache.get(tid);
  if (hit && now - hit.at < TGID_TTL_MS) return hit.groups;
  const groups = readGroups(tid);
  if (groupCache.size >= MAX_CACHED) groupCache.clear();
  groupCache.set(tid, { groups, at: now });
  return groups;
}

function readGroups(tid: number): readonly number[] {
  try {
    const status = readFileSync(`/proc/${tid}/status`, 'latin1');
    const m = /^Groups:[ \t]*([\d \t]*)$/m.exec(status);
    return m ? m[1]!.split(/\s+/).filter(Boolean).map(Number) : [];
  } catch {
    return [];
  }
}

function readTgid(tid: number): number {
  try {
    const status = readFileSync(`/proc/${tid}/status`, 'latin1');
    const m = /^Tgid:\s*(\d+)/m.exec(status);
    return m ? Number(m[1]) : tid;
  } catch {
    return tid;
  }
}
