import { readFileSync } from 'node:fs';
import type { Caller } from './ops.js';

/**
 * The caller of one request. The header's pid is a thread id; the process id (tgid) costs a read of
 * /proc/<tid>/status, so it is looked up only when a handler asks (opening a handle, recording a
 * holder), never on the hot path of a plain write.
 */
export class RequestCaller implements Caller {
  private cachedTgid = -1;
  constructor(readonly uid: number, readonly gid: number, readonly pid: number) {}

  get tgid(): number {
    if (this.cachedTgid < 0) this.cachedTgid = tgidOf(this.pid);
    return this.cachedTgid;
  }
}

/** The thread group (process) of a thread; the tid itself if /proc no longer knows it. */
export function tgidOf(tid: number): number {
  if (tid <= 0) return tid;
  try {
    const status = readFileSync(`/proc/${tid}/status`, 'latin1');
    const m = /^Tgid:\s*(\d+)/m.exec(status);
    return m ? Number(m[1]) : tid;
  } catch {
    return tid;
  }
}
