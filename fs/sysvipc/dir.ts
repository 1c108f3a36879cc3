/**
 * sysvipc/: the System V objects as tables in the layout of Linux's /proc/sysvipc (docs/protocol.md,
 * "System V tables (sysvipc/) and limits"), so tools that read /proc/sysvipc (ipcs, lsipc) can read
 * these instead:
 *   sysvipc/sem   semaphore sets      sysvipc/msg   message queues      sysvipc/shm   segments
 * Read-only (0444, EACCES for a writer, root too), rendered for each reader at its first read: every
 * object of the kind, whoever reads (as /proc/sysvipc, which needs no permission on the objects).
 */
import type { SysvMsgQueue } from '../../ipc/msg/registry.js';
import type { SysvSemaphore } from '../../ipc/semaphores/registry.js';
import type { SysvSegment } from '../../ipc/shm/sysv.js';
import { ReadOnlyTextFile } from '../tree/read-only-text.js';
import { StaticDir } from '../tree/static-dir.js';
import type { TextSource } from '../tree/text-file.js';
import { byId, msgRow, semRow, shmRow } from './rows.js';
import { MSG_HEADER, SEM_HEADER, SHM_HEADER, msgLine, semLine, shmLine } from './tables.js';

/** Where the tables read from: each kind's objects (live), and a segment's resident bytes. */
export interface SysvipcSources {
  semaphores(): Iterable<SysvSemaphore>;
  queues(): Iterable<SysvMsgQueue>;
  segments(): Iterable<SysvSegment>;
  residentBytes(seg: SysvSegment): number;
  /** Each kind's change count: grows at each creation and removal (a listing by id is then stale). */
  changes: { sem(): number; msg(): number; shm(): number };
}

const REFUSAL = 'sysvipc/ tables are read-only (as /proc/sysvipc)';

/**
 * A table read piece by piece (tree/text-file.ts): a row per piece, made when it is pulled. Between
 * two reads the handle keeps only the last id listed and goes on after that id, as the kernel's
 * seq_file resumes at its position. So a handle costs O(1) memory whatever the number of objects,
 * and a read O(log n) per row it returns: the objects by ascending id are one list per kind, shared
 * by every open table and made again (O(n), plus the sort when ids are out of creation order) only
 * after the kind changed. (Listing them again at each read made a reader with small reads, a
 * shell's `while read` loop, quadratic in the number of objects.) An object made between two reads
 * of one text is listed if its id comes after the last row read.
 */
function tableText<T extends { readonly id: number }>(header: string, sorted: () => readonly T[], line: (t: T) => string): TextSource {
  return function* () {
    yield header;
    let after = -1;
    for (;;) {
      const t = nextAfter(sorted(), after);
      if (!t) return;
      after = t.id;
      yield line(t);
    }
  };
}

/** The objects by ascending id, listed again only when changes() moved since the last listing. */
function byIdWhileUnchanged<T extends { readonly id: number }>(objects: () => Iterable<T>, changes: () => number): () => readonly T[] {
  let list: readonly T[] = [];
  let listedAt = NaN;
  return () => {
    const now = changes();
    if (now !== listedAt) {
      list = byId(objects());
      listedAt = now;
    }
    return list;
  };
}

/** The first object with an id above `after` in a list by ascending id. */
function nextAfter<T extends { readonly id: number }>(list: readonly T[], after: number): T | undefined {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.id <= after) lo = mid + 1;
    else hi = mid;
  }
  return list[lo];
}

export function sysvipcDir(src: SysvipcSources): StaticDir {
  const sems = byIdWhileUnchanged(src.semaphores, src.changes.sem);
  const queues = byIdWhileUnchanged(src.queues, src.changes.msg);
  const segments = byIdWhileUnchanged(src.segments, src.changes.shm);
  return new StaticDir(0o555)
    .add('sem', new ReadOnlyTextFile(() => tableText(SEM_HEADER, sems, (s) => semLine(semRow(s))), REFUSAL))
    .add('msg', new ReadOnlyTextFile(() => tableText(MSG_HEADER, queues, (q) => msgLine(msgRow(q))), REFUSAL))
    .add('shm', new ReadOnlyTextFile(() => tableText(SHM_HEADER, segments, (s) => shmLine(shmRow(s, src.residentBytes(s)))), REFUSAL));
}
