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
import { MSG_HEADER, SEM_HEADER, SHM_HEADER, msgLine, semLine, shmLine, tablePieces } from './tables.js';

/** Where the tables read from: each kind's objects (live), and a segment's resident bytes. */
export interface SysvipcSources {
  semaphores(): Iterable<SysvSemaphore>;
  queues(): Iterable<SysvMsgQueue>;
  segments(): Iterable<SysvSegment>;
  residentBytes(seg: SysvSegment): number;
}

const REFUSAL = 'sysvipc/ tables are read-only (as /proc/sysvipc)';

/** The objects are listed when the text starts (the first read); each row is made as it is read. */
function tableText<T extends { readonly id: number }>(header: string, objects: () => Iterable<T>, line: (t: T) => string): TextSource {
  return () => tablePieces(header, byId(objects()), line);
}

export function sysvipcDir(src: SysvipcSources): StaticDir {
  return new StaticDir(0o555)
    .add('sem', new ReadOnlyTextFile(() => tableText(SEM_HEADER, src.semaphores, (s) => semLine(semRow(s))), REFUSAL))
    .add('msg', new ReadOnlyTextFile(() => tableText(MSG_HEADER, src.queues, (q) => msgLine(msgRow(q))), REFUSAL))
    .add('shm', new ReadOnlyTextFile(() => tableText(SHM_HEADER, src.segments, (s) => shmLine(shmRow(s, src.residentBytes(s)))), REFUSAL));
}
