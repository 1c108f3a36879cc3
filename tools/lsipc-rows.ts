/**
 * One lsipc row: the cell of each asked column for one object, as util-linux's do_sem, do_msg,
 * do_shm and 2.41's do_posix_* write it (null where lsipc sets no data: a time that never
 * happened, a name that has no passwd entry, a column the kind does not have), plus ipcfs's own
 * columns (undo holders, waiters, held messages). Pure but for the user and group names and a
 * pid's command line, which come through the Lookup passed in.
 */
import { COL, COLUMNS } from './lsipc-columns.js';
import { formatTime, humanSize, perms, type TimeMode } from './lsipc-format.js';
import type { HeldMessage, PosixMq, PosixSem, PosixShm, SysvMsg, SysvMsgDetail, SysvSem, SysvSemDetail, SysvShm, UndoHolder } from './ipc-objects.js';
import type { Cell } from './lsipc-table.js';

export interface Lookup {
  user(uid: number): string | null;
  group(gid: number): string | null;
  /** /proc/PID/cmdline with its NULs as spaces, null when there is none (lsipc's pid_get_cmdline) */
  cmdline(pid: number): string | null;
}

export interface RowOptions {
  bytes: boolean;
  numericPerms: boolean;
  time: TimeMode;
  /** epoch seconds: "today" of the short time format */
  now: number;
  lookup: Lookup;
}

/**
 * A listing's record (the mount's sysvipc/ table, or the status files), with the detail of the
 * status file merged in where ipcfs's columns or the Elements table need it and it was readable.
 */
export type LsipcObject = SysvSem | SysvSemDetail | SysvMsg | SysvMsgDetail | SysvShm | PosixSem | PosixMq | PosixShm;

const u32 = (n: number): string => String(n >>> 0);
const keyHex = (key: number): string => `0x${(key >>> 0).toString(16).padStart(8, '0')}`;

/** ipcfs's UNDO cell: PID:COMMAND:SEMNUM:ADJ per adjustment (the command as the status escapes it). */
export const undoCell = (undo: readonly UndoHolder[]): string => undo.map((u) => `${u.pid}:${u.comm}:${u.sem}:${u.adj > 0 ? '+' : ''}${u.adj}`).join(',');

/** ipcfs's HELDBY cell: ID:PID:COMMAND:SIZE per held message. */
export const heldByCell = (held: readonly HeldMessage[]): string => held.map((h) => `${h.id}:${h.pid}:${h.comm}:${h.size}`).join(',');

function isSysv(o: LsipcObject): o is SysvSem | SysvMsg | SysvShm {
  return 'id' in o;
}

/** The cells of one object for the given columns (indexes into COLUMNS). */
export function objectRow(o: LsipcObject, columns: readonly number[], opt: RowOptions): Cell[] {
  return columns.map((c) => cell(o, COLUMNS[c]!.name, opt));
}

function cell(o: LsipcObject, column: string, opt: RowOptions): Cell {
  const time = (t: number): Cell => (t ? formatTime(t, opt.time, opt.now) : null);
  const size = (n: number): string => (opt.bytes ? String(n) : humanSize(n));
  const sysv = isSysv(o);
  // POSIX objects: 2.41 shows the creator as OWNER (ipcfs's status has both; owner is the uid)
  const cuid = 'cuid' in o ? o.cuid : o.uid;
  const cgid = 'cgid' in o ? o.cgid : o.gid;
  switch (column) {
    case 'KEY':
      return sysv ? keyHex(o.key) : null;
    case 'ID':
      return sysv ? String(o.id) : null;
    case 'NAME':
      return sysv ? null : o.name;
    case 'OWNER':
      return opt.lookup.user(o.uid) ?? u32(o.uid);
    case 'PERMS':
      return perms(o.perms, opt.numericPerms);
    case 'CUID':
      return u32(cuid);
    case 'CUSER':
      return opt.lookup.user(cuid);
    case 'CGID':
      return u32(cgid);
    case 'CGROUP':
      return opt.lookup.group(cgid);
    case 'UID':
      return sysv ? u32(o.uid) : null;
    case 'USER':
      return sysv ? opt.lookup.user(o.uid) : null;
    case 'GID':
      return sysv ? u32(o.gid) : null;
    case 'GROUP':
      return sysv ? opt.lookup.group(o.gid) : null;
    case 'CTIME':
      return sysv ? time(o.ctime) : null;
    case 'MTIME':
      return sysv ? null : time(o.mtime);
  }
  switch (o.kind) {
    case 'sem':
      return 'id' in o ? sysvSemCell(o, column, time) : posixSemCell(o, column);
    case 'msg':
      return msgCell(o, column, time, size);
    case 'mq':
      return posixMqCell(o, column, size);
    case 'shm':
      return 'id' in o ? shmCell(o, column, time, size, opt.lookup) : column === 'SIZE' ? size(o.size) : null;
  }
}

function sysvSemCell(o: SysvSem | SysvSemDetail, column: string, time: (t: number) => Cell): Cell {
  switch (column) {
    case 'NSEMS':
      return String(o.nsems);
    case 'OTIME':
      return time(o.otime);
    case 'UNDO':
      return 'undo' in o ? undoCell(o.undo) : null;
    case 'WAITERS':
      return 'sems' in o ? String(o.sems.reduce((n, s) => n + s.ncount + s.zcount, 0)) : null;
  }
  return null;
}

function posixSemCell(o: PosixSem, column: string): Cell {
  switch (column) {
    case 'SVAL':
      return String(o.value);
    case 'UNDO':
      return undoCell(o.undo);
    case 'WAITERS':
      return String(o.ncount + o.zcount);
  }
  return null;
}

function msgCell(o: SysvMsg | SysvMsgDetail, column: string, time: (t: number) => Cell, size: (n: number) => string): Cell {
  switch (column) {
    case 'USEDBYTES':
      return size(o.cbytes);
    case 'MSGS':
      return String(o.qnum);
    case 'SEND':
      return time(o.stime);
    case 'RECV':
      return time(o.rtime);
    case 'LSPID':
      return u32(o.lspid);
    case 'LRPID':
      return u32(o.lrpid);
    case 'WAITERS':
      return 'senders' in o ? String(o.senders + o.receivers) : null;
    case 'HELD':
      return 'held' in o ? String(o.held.length) : null;
    case 'HELDBY':
      return 'held' in o ? heldByCell(o.held) : null;
  }
  return null;
}

function posixMqCell(o: PosixMq, column: string, size: (n: number) => string): Cell {
  switch (column) {
    case 'USEDBYTES':
      return size(o.bytes);
    case 'MSGS':
      return String(o.messages);
    case 'WAITERS':
      return String(o.senders.length + o.receivers.length);
    case 'HELD':
      return String(o.held.length);
    case 'HELDBY':
      return heldByCell(o.held);
  }
  return null;
}

function shmCell(o: SysvShm, column: string, time: (t: number) => Cell, size: (n: number) => string, lookup: Lookup): Cell {
  switch (column) {
    case 'SIZE':
      return size(o.size);
    case 'NATTCH':
      return String(o.nattch);
    case 'STATUS':
      // lsipc joins dest and locked with no comma between them (its comma counter counts dest only)
      return [o.dest ? 'dest' : '', o.locked ? (o.dest ? ',locked' : 'locked') : ''].join('');
    case 'ATTACH':
      return time(o.atime);
    case 'DETACH':
      return time(o.dtime);
    case 'CPID':
      return u32(o.cpid);
    case 'LPID':
      return u32(o.lpid);
    case 'COMMAND':
      return lookup.cmdline(o.cpid);
  }
  return null;
}

/** The detail view's lines of one object: every column lsipc's --id shows, by its label. */
export function prettyFields(o: LsipcObject, columns: readonly number[], opt: RowOptions): [string, Cell][] {
  const cells = objectRow(o, columns, opt);
  return columns.map((c, i) => [COLUMNS[c]!.pretty, cells[i]!]);
}

export { COL };
