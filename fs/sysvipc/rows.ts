/**
 * The System V objects as table rows (fs/sysvipc/tables.ts), from the same state their status
 * files print (fs/semaphores/status.ts, fs/mqueue/msg-file.ts, fs/shm/objects.ts), and the order
 * the kernel lists them in.
 */
import type { SysvMsgQueue } from '../../ipc/msg/registry.js';
import type { SysvSemaphore } from '../../ipc/semaphores/registry.js';
import type { SysvSegment } from '../../ipc/shm/sysv.js';
import { SEQ_MULTIPLIER } from '../../ipc/sysv-ids.js';
import { seconds, type MsgRow, type SemRow, type ShmRow } from './tables.js';

/**
 * /proc/sysvipc lists objects by slot (the id's index part: id % SEQ_MULTIPLIER), walking the
 * kind's idr from index 0 (ipc/util.c sysvipc_find_ipc): a new object that took a freed low slot
 * comes before older ones with higher slots, whatever its id. ipcfs's ids are built the same way
 * (ipc/sysv-ids.ts), so the same order is ascending id whenever no slot was reused.
 */
export function bySlot<T extends { readonly id: number }>(objects: Iterable<T>): T[] {
  return [...objects].sort((a, b) => (a.id % SEQ_MULTIPLIER) - (b.id % SEQ_MULTIPLIER));
}

export function semRow(s: SysvSemaphore): SemRow {
  const { perm, set } = s;
  return {
    key: s.key, id: s.id, mode: perm.mode, nsems: set.nsems,
    uid: perm.uid, gid: perm.gid, cuid: perm.cuid, cgid: perm.cgid,
    otime: seconds(set.otime), ctime: seconds(set.ctime),
  };
}

export function msgRow(q: SysvMsgQueue): MsgRow {
  const s = q.queue.stat();
  const p = s.perm;
  return {
    key: q.key, id: q.id, mode: p.mode, cbytes: s.cbytes, qnum: s.qnum, lspid: s.lspid, lrpid: s.lrpid,
    uid: p.uid, gid: p.gid, cuid: p.cuid, cgid: p.cgid,
    stime: seconds(s.stime), rtime: seconds(s.rtime), ctime: seconds(s.ctime),
  };
}

/**
 * rss: the bytes of memory the segment's memfd holds (residentBytes, fs/memory/memory-file.ts);
 * swap: always 0 (see residentBytes: swapped-out pages count in rss).
 */
export function shmRow(seg: SysvSegment, residentBytes: number): ShmRow {
  const { ds } = seg;
  const p = ds.perm;
  return {
    key: seg.key, id: seg.id, mode: p.mode, size: ds.segsz, cpid: ds.cpid, lpid: ds.lpid, nattch: ds.nattch,
    uid: p.uid, gid: p.gid, cuid: p.cuid, cgid: p.cgid,
    atime: seconds(ds.atimeMs), dtime: seconds(ds.dtimeMs), ctime: seconds(ds.ctimeMs),
    rss: residentBytes, swap: 0,
  };
}
