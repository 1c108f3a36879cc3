/**
 * The System V tables as Linux's /proc/sysvipc/{sem,msg,shm} print them on 64-bit: pure renderers
 * from rows (numbers already taken from the objects' state) to text, no I/O.
 *
 * Formats (ipc/util.c's headers given to ipc_init_proc_interface, and the seq_printf of
 * sysvipc_sem_proc_show, sysvipc_msg_proc_show, sysvipc_shm_proc_show):
 *   sem  "%10d %10d  %4o %10u %5u %5u %5u %5u %10llu %10llu\n"
 *   msg  "%10d %10d  %4o  %10lu %10lu %5u %5u %5u %5u %5u %5u %10llu %10llu %10llu\n"
 *   shm  "%10d %10d  %4o %21lu %5u %5u  %5lu %5u %5u %5u %5u %10llu %10llu %10llu %21lu %21lu\n"
 * A width is a minimum: a longer value (a 6-digit pid, a uid past 99999) pushes the line right, as
 * printf does. The key is a signed int (key_t), the mode octal (shm's includes SHM_DEST, 01000,
 * after IPC_RMID), times seconds since the epoch (0: never).
 */

export interface SemRow {
  key: number;
  id: number;
  mode: number;
  nsems: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  /** seconds; 0 = never */
  otime: number;
  ctime: number;
}

export interface MsgRow {
  key: number;
  id: number;
  mode: number;
  cbytes: number;
  qnum: number;
  lspid: number;
  lrpid: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  stime: number;
  rtime: number;
  ctime: number;
}

export interface ShmRow {
  key: number;
  id: number;
  mode: number;
  size: number;
  cpid: number;
  lpid: number;
  nattch: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  atime: number;
  dtime: number;
  ctime: number;
  /** bytes */
  rss: number;
  swap: number;
}

export const SEM_HEADER = '       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n';
export const MSG_HEADER = '       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n';
export const SHM_HEADER =
  '       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n';

/** %<w>d of a key_t: the 32-bit key as a signed int */
const key = (k: number): string => String(k | 0).padStart(10);
/** %<w>u / %<w>lu / %<w>llu of a non-negative integer */
const u = (v: number, w: number): string => String(v).padStart(w);
const octal = (mode: number): string => mode.toString(8).padStart(4);

/** Milliseconds (the objects' clocks; 0 = never) as the table's seconds. */
export const seconds = (ms: number): number => (ms > 0 ? Math.floor(ms / 1000) : 0);

export function semLine(r: SemRow): string {
  return `${key(r.key)} ${u(r.id, 10)}  ${octal(r.mode)} ${u(r.nsems, 10)} ${u(r.uid, 5)} ${u(r.gid, 5)} ${u(r.cuid, 5)} ${u(r.cgid, 5)} ${u(r.otime, 10)} ${u(r.ctime, 10)}\n`;
}

export function msgLine(r: MsgRow): string {
  return `${key(r.key)} ${u(r.id, 10)}  ${octal(r.mode)}  ${u(r.cbytes, 10)} ${u(r.qnum, 10)} ${u(r.lspid, 5)} ${u(r.lrpid, 5)} ${u(r.uid, 5)} ${u(r.gid, 5)} ${u(r.cuid, 5)} ${u(r.cgid, 5)} ${u(r.stime, 10)} ${u(r.rtime, 10)} ${u(r.ctime, 10)}\n`;
}

export function shmLine(r: ShmRow): string {
  return `${key(r.key)} ${u(r.id, 10)}  ${octal(r.mode)} ${u(r.size, 21)} ${u(r.cpid, 5)} ${u(r.lpid, 5)}  ${u(r.nattch, 5)} ${u(r.uid, 5)} ${u(r.gid, 5)} ${u(r.cuid, 5)} ${u(r.cgid, 5)} ${u(r.atime, 10)} ${u(r.dtime, 10)} ${u(r.ctime, 10)} ${u(r.rss, 21)} ${u(r.swap, 21)}\n`;
}

/** A table as pieces: the header, then one line per row (rows are read as the pieces are pulled). */
export function* tablePieces<R>(header: string, rows: Iterable<R>, line: (r: R) => string): Generator<string, void, undefined> {
  yield header;
  for (const r of rows) yield line(r);
}

/** A whole table at once (tests, small callers). */
export function table<R>(header: string, rows: Iterable<R>, line: (r: R) => string): string {
  return [...tablePieces(header, rows, line)].join('');
}

export const semTable = (rows: Iterable<SemRow>): string => table(SEM_HEADER, rows, semLine);
export const msgTable = (rows: Iterable<MsgRow>): string => table(MSG_HEADER, rows, msgLine);
export const shmTable = (rows: Iterable<ShmRow>): string => table(SHM_HEADER, rows, shmLine);
