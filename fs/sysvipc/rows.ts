/**
 * The System V objects as table rows (fs/sysvipc/tables.ts), from the same state their status
 * files print (fs/semaphores/status.ts, fs/mqueue/msg-file.ts, fs/shm/objects.ts), and the order
 * the kernel lists them in.
 */
import type { SysvMsgQueue } from '../../ipc/msg/registry.js';
import type { SysvSemaphore } from '../../ipc/semaphores/registry.js';
import type { SysvSegment } from '../../ipc/shm/sysv.js';
import { seconds, type MsgRow, type SemRow, type ShmRow } from './tables.js';

/**
 * Ascending id. /proc/sysvipc walks the kind's idr by index (ipc/util.c sysvipc_find_ipc), and
 * Linux allocates indices cyclically (ipc_idr_alloc: idr_alloc_cyclic), so its tables list
 * objects in creation order, which is ascending id until the indices wrap at IPCMNI. ipcfs's ids
 * (ipc/sysv-ids.ts: the lowest free slot, a sequence that grows with each creation) also ascend in
 * creation order, so ascending id gives the same order as the kernel's table.
 */
export function byId<T extends { readonly id: number }>(objects: Iterable<T>): T[] {
  const list = [...objects];
  // the registries iterate in creation order: already sorted unless a sequence number wrapped
  for (let i = 1; i < list.length; i++) if (list[i - 1]!.id > list[i]!.id) return list.sort((a, b) => a.id - b.id);
  return list;
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
