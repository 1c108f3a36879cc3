import { readFileSync } from 'node:fs';
import type { Caller } from './ops.js';

/**
 * The caller of one request. The header's pid is a thread id; the process id (tgid) costs a read of
 * /proc/<tid>/status, so it is looked up only when a handler asks (opening a handle, recording a
 * holder), never on the hot path of a plain write.
 */
export class RequestCaller implements Caller {
  private cachedTgid = -1;
  private cachedGroups: readonly number[] | null | undefined = undefined;
  constructor(readonly uid: number, readonly gid: number, readonly pid: number) {}

  get tgid(): number {
    if (this.cachedTgid < 0) this.cachedTgid = tgidOf(this.pid);
    return this.cachedTgid;
  }

  /** Supplementary groups: read only when a permission check falls through to the group class. */
  get groups(): readonly number[] | null {
    if (this.cachedGroups === undefined) this.cachedGroups = groupsOf(this.pid);
    return this.cachedGroups;
  }
}

/**
 * What /proc/<tid>/status says of a thread (its process and supplementary groups), from one read,
 * remembered for a second: a client issuing operations in a loop costs one /proc read per second
 * instead of one per request, and a setgroups(2) takes effect for new requests within that second.
 * A tid is reused only after its thread is gone, and a second is far shorter than the kernel's walk
 * through the pid space before reusing one.
 */
const STATUS_TTL_MS = 1000;
const MAX_CACHED = 4096;
interface ThreadStatus {
  tgid: number;
  /** the real uid (Uid:'s first field), -1 when unknown */
  ruid: number;
  groups: readonly number[] | null;
  at: number;
}
const cache = new Map<number, ThreadStatus>();

function statusOf(tid: number): ThreadStatus {
  const now = Date.now();
  const hit = cache.get(tid);
  if (hit && now - hit.at < STATUS_TTL_MS) return hit;
  const s = readStatus(tid, now);
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(tid, s);
  return s;
}

/** The thread group (process) of a thread; the tid itself if /proc no longer knows it. */
export function tgidOf(tid: number): number {
  return tid <= 0 ? tid : statusOf(tid).tgid;
}

/**
 * A thread's supplementary groups (the `Groups:` line), or null when /proc cannot tell them: the
 * request comes from the kernel itself or another pid namespace (pid 0), or the thread is gone.
 * Permission checks then grant only what holds whether or not the caller is in the object's group
 * (tree/access.ts, ipc/semaphores/perms.ts), so not knowing never grants more than Linux would.
 */
export function groupsOf(tid: number): readonly number[] | null {
  return tid <= 0 ? null : statusOf(tid).groups;
}

/**
 * A process's real uid (what Linux's mq_notify signal names as si_uid: current_uid()), read fresh:
 * a setuid(2) just before the send counts. -1 when /proc cannot tell (the process is gone).
 */
export function realUidOf(pid: number): number {
  if (pid <= 0) return -1;
  const s = readStatus(pid, Date.now());
  return s.ruid;
}

function readStatus(tid: number, at: number): ThreadStatus {
  try {
    const status = readFileSync(`/proc/${tid}/status`, 'latin1');
    const tgid = /^Tgid:\s*(\d+)/m.exec(status);
    const groups = /^Groups:[ \t]*([\d \t]*)$/m.exec(status);
    const uid = /^Uid:\s*(\d+)/m.exec(status);
    return {
      tgid: tgid ? Number(tgid[1]) : tid,
      ruid: uid ? Number(uid[1]) : -1,
      groups: groups ? groups[1]!.split(/\s+/).filter(Boolean).map(Number) : null,
      at,
    };
  } catch {
    return { tgid: tid, ruid: -1, groups: null, at };
  }
}
