/**
 * The reader the util-linux-style tools (`ipcfs ipcs`, `ipcrm`, `ipcmk`, `lsipc`, `top`) share:
 * every IPC object of a mount as a typed record, read from the mount's files only (directory
 * listings and each object's status file; docs/protocol.md), never through a private channel.
 *
 * Records carry what /proc/sysvipc shows for a System V object (key as a signed 32-bit number,
 * perms = mode & 0777, times in epoch seconds with 0 for "never") plus what only ipcfs knows
 * (per-semaphore counts, undo holders, held messages) in the detail records. An object that
 * vanishes between the listing and its status read (ENOENT, EIDRM) is skipped, as ipcs skips an id
 * gone between SEM_INFO and SEM_STAT; so is one whose status the reader may not read (EACCES).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readToEnd } from './cli-io.js';

export type SysvKind = 'sem' | 'msg' | 'shm';
export type PosixKind = 'sem' | 'mq' | 'shm';

/** The raw status: each `key: value` line's value, in file order, per key (a key may repeat). */
export type StatusFields = Map<string, string[]>;

export interface SysvCommon {
  id: number;
  /** signed 32-bit, as /proc/sysvipc prints it (ipcs shows it as 0x%08x of the unsigned) */
  key: number;
  /** mode & 0777 */
  perms: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  /** epoch seconds, 0 = never */
  ctime: number;
  /** the whole status file, for what the record does not name */
  fields: StatusFields;
}

export interface SysvSem extends SysvCommon {
  kind: 'sem';
  nsems: number;
  otime: number;
}

export interface SysvMsg extends SysvCommon {
  kind: 'msg';
  /** bytes queued (held messages not counted) */
  cbytes: number;
  qnum: number;
  qbytes: number;
  lspid: number;
  lrpid: number;
  stime: number;
  rtime: number;
}

export interface SysvShm extends SysvCommon {
  kind: 'shm';
  size: number;
  cpid: number;
  lpid: number;
  nattch: number;
  atime: number;
  dtime: number;
  /** SHM_DEST: IPC_RMID ran, the segment goes when nattch reaches 0 */
  dest: boolean;
  /** SHM_LOCKED (ipcfs has no SHM_LOCK: always false) */
  locked: boolean;
}

export type SysvRecord = SysvSem | SysvMsg | SysvShm;

export interface SemElement {
  value: number;
  ncount: number;
  zcount: number;
  /** last pid to change it, 0 = none */
  pid: number;
}

/** One live undo adjustment: `adj` goes back to semaphore `sem` when that holder's handle goes. */
export interface UndoHolder {
  pid: number;
  /** the process name as the status escapes it (one word) */
  comm: string;
  sem: number;
  adj: number;
}

/** A message received with undo and not yet acknowledged. */
export interface HeldMessage {
  id: number;
  /** System V: the message type */
  type?: number;
  /** POSIX: the priority */
  prio?: number;
  size: number;
  pid: number;
  comm: string;
}

export interface SysvSemDetail extends SysvSem {
  sems: SemElement[];
  undo: UndoHolder[];
}

export interface SysvMsgDetail extends SysvMsg {
  /** how many sleep in msgsnd / msgrcv */
  senders: number;
  receivers: number;
  held: HeldMessage[];
  heldBytes: number;
  removed: boolean;
}

export interface SysvShmDetail extends SysvShm {
  /** how the memory is served: passthrough, cached or unopened */
  served: string;
}

export type SysvDetail = SysvSemDetail | SysvMsgDetail | SysvShmDetail;

export interface PosixCommon {
  /** `/NAME` (a subdirectory is part of the name: `/app/jobs`) */
  name: string;
  /** mode & 0777 */
  perms: number;
  uid: number;
  gid: number;
  /** epoch seconds of the last change (0 = never) */
  mtime: number;
  ctime: number;
  fields: StatusFields;
}

export interface PosixSem extends PosixCommon {
  kind: 'sem';
  value: number;
  ncount: number;
  zcount: number;
  pid: number;
  otime: number;
  cuid: number;
  cgid: number;
  undo: UndoHolder[];
}

export interface PosixMq extends PosixCommon {
  kind: 'mq';
  /** curmsgs */
  messages: number;
  /** QSIZE: bytes queued */
  bytes: number;
  maxmsg: number;
  msgsize: number;
  /** pids waiting, in the order they will be served */
  senders: number[];
  receivers: number[];
  held: HeldMessage[];
  unlinked: boolean;
}

export interface PosixShm extends PosixCommon {
  kind: 'shm';
  size: number;
  cuid: number;
  cgid: number;
  /** open files not yet released (mappings included) */
  opens: number;
  served: string;
  unlinked: boolean;
}

export type PosixRecord = PosixSem | PosixMq | PosixShm;

/** The directory of a System V kind's status files (each named by its id). */
export function sysvStatusDir(mount: string, kind: SysvKind): string {
  switch (kind) {
    case 'sem':
      return join(mount, 'semaphores', 'sysv');
    case 'msg':
      return join(mount, 'mqueue', 'sysv');
    case 'shm':
      return join(mount, 'shared-memory', 'status', 'sysv');
  }
}

/** The directory of a POSIX kind's status files (by name, subdirectories for `/` in names). */
export function posixStatusDir(mount: string, kind: PosixKind): string {
  switch (kind) {
    case 'sem':
      return join(mount, 'semaphores', 'named');
    case 'mq':
      return join(mount, 'mqueue', 'named');
    case 'shm':
      return join(mount, 'shared-memory', 'status', 'named');
  }
}

const EIDRM = 43;

/** An object gone (or closed to us) between the listing and the read: skipped, as ipcs does. */
export function isVanished(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EIDRM' || e.errno === -EIDRM;
}

/** Parses `key: value` lines (the first `: ` splits; a line without one is skipped). */
export function parseStatus(text: string): StatusFields {
  const fields: StatusFields = new Map();
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at <= 0) continue;
    const key = line.slice(0, at);
    const value = line.slice(at + 1).trim();
    const list = fields.get(key);
    if (list) list.push(value);
    else fields.set(key, [value]);
  }
  return fields;
}

/** "never" -> 0, an ISO 8601 time -> whole epoch seconds (as the kernel's time_t). */
export function epochSeconds(text: string | undefined): number {
  if (!text || text === 'never') return 0;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

const first = (f: StatusFields, key: string): string | undefined => f.get(key)?.[0];
const num = (f: StatusFields, key: string): number => {
  const v = first(f, key);
  const n = v === undefined ? NaN : Number(v.split(/\s+/)[0]);
  return Number.isFinite(n) ? n : 0;
};
const octal = (f: StatusFields, key: string): number => parseInt(first(f, key) ?? '0', 8) & 0o777;
/** The key's hex text as /proc/sysvipc's signed 32-bit decimal. */
const signedKey = (f: StatusFields): number => Number.parseInt(first(f, 'key') ?? '0', 16) | 0;
const numbers = (text: string | undefined): number[] => (text ? text.split(/\s+/).filter(Boolean).map(Number) : []);

/** `a=1 b=x` words as a map. */
function words(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const w of text.split(/\s+/)) {
    const eq = w.indexOf('=');
    if (eq > 0) out.set(w.slice(0, eq), w.slice(eq + 1));
  }
  return out;
}

function undoHolders(f: StatusFields): UndoHolder[] {
  return (f.get('undo') ?? []).map((line) => {
    const w = words(line);
    return { pid: Number(w.get('pid') ?? 0), comm: w.get('comm') ?? '', sem: Number(w.get('sem') ?? 0), adj: Number(w.get('adj') ?? 0) };
  });
}

/** The `held: id=...` lines (a System V queue's status also has a `held: N` count line). */
function heldMessages(f: StatusFields): HeldMessage[] {
  const out: HeldMessage[] = [];
  for (const line of f.get('held') ?? []) {
    if (!line.includes('=')) continue;
    const w = words(line);
    const m: HeldMessage = { id: Number(w.get('id') ?? 0), size: Number(w.get('size') ?? 0), pid: Number(w.get('pid') ?? 0), comm: w.get('comm') ?? '' };
    if (w.has('type')) m.type = Number(w.get('type'));
    if (w.has('prio')) m.prio = Number(w.get('prio'));
    out.push(m);
  }
  return out;
}

function sysvCommon(f: StatusFields, id: number): SysvCommon {
  return { id, key: signedKey(f), perms: octal(f, 'perms'), uid: num(f, 'owner'), gid: num(f, 'group'), cuid: num(f, 'cuid'), cgid: num(f, 'cgid'), ctime: epochSeconds(first(f, 'ctime')), fields: f };
}

/** A System V object's detail record from its status text. */
export function sysvFromStatus(kind: SysvKind, id: number, text: string): SysvDetail {
  const f = parseStatus(text);
  const common = sysvCommon(f, id);
  switch (kind) {
    case 'sem': {
      const nsems = num(f, 'nsems');
      const values = numbers(first(f, 'value'));
      const pids = numbers(first(f, 'pid'));
      const perSem = new Map<number, Map<string, string>>();
      for (const [k, v] of f) {
        const m = /^sem (\d+)$/.exec(k);
        if (m) perSem.set(Number(m[1]), words(v[0]!));
      }
      const sems: SemElement[] = [];
      for (let i = 0; i < nsems; i++) {
        const w = perSem.get(i);
        sems.push(
          w
            ? { value: Number(w.get('value') ?? 0), ncount: Number(w.get('ncnt') ?? 0), zcount: Number(w.get('zcnt') ?? 0), pid: Number(w.get('pid') ?? 0) }
            : // a set of one has no `sem 0:` line: its counts are the set's
              { value: values[i] ?? 0, ncount: nsems === 1 ? num(f, 'ncnt') : 0, zcount: nsems === 1 ? num(f, 'zcnt') : 0, pid: pids[i] ?? 0 },
        );
      }
      return { ...common, kind, nsems, otime: epochSeconds(first(f, 'otime')), sems, undo: undoHolders(f) };
    }
    case 'msg':
      return {
        ...common,
        kind,
        cbytes: num(f, 'cbytes'),
        qnum: num(f, 'qnum'),
        qbytes: num(f, 'qbytes'),
        lspid: num(f, 'lspid'),
        lrpid: num(f, 'lrpid'),
        stime: epochSeconds(first(f, 'stime')),
        rtime: epochSeconds(first(f, 'rtime')),
        senders: num(f, 'senders'),
        receivers: num(f, 'receivers'),
        held: heldMessages(f),
        heldBytes: num(f, 'held-bytes'),
        removed: first(f, 'removed') === 'yes',
      };
    case 'shm':
      return {
        ...common,
        kind,
        size: num(f, 'segsz'),
        cpid: num(f, 'cpid'),
        lpid: num(f, 'lpid'),
        nattch: num(f, 'nattch'),
        atime: epochSeconds(first(f, 'atime')),
        dtime: epochSeconds(first(f, 'dtime')),
        dest: first(f, 'status') === 'dest',
        locked: first(f, 'status') === 'locked',
        served: first(f, 'served') ?? '',
      };
  }
}

/** The ids of a System V kind, ascending (directory names that are ids: not `.new`, `by-key`). */
export function listSysvIds(mount: string, kind: SysvKind): number[] {
  return readdirSync(sysvStatusDir(mount, kind))
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * The detail of one System V object, or null when there is no such id (or it vanished, or its
 * status may not be read). Other errors (a dead daemon: ENOTCONN) are thrown.
 */
export function sysvDetail(mount: string, kind: 'sem', id: number): SysvSemDetail | null;
export function sysvDetail(mount: string, kind: 'msg', id: number): SysvMsgDetail | null;
export function sysvDetail(mount: string, kind: 'shm', id: number): SysvShmDetail | null;
export function sysvDetail(mount: string, kind: SysvKind, id: number): SysvDetail | null;
export function sysvDetail(mount: string, kind: SysvKind, id: number): SysvDetail | null {
  if (!Number.isInteger(id) || id < 0) return null;
  let text: string;
  try {
    text = readToEnd(join(sysvStatusDir(mount, kind), String(id)));
  } catch (err) {
    if (isVanished(err)) return null;
    throw err;
  }
  return sysvFromStatus(kind, id, text);
}

/** Every System V object of a kind, ascending id, with the fields /proc/sysvipc shows. */
export function listSysv(mount: string, kind: 'sem'): SysvSemDetail[];
export function listSysv(mount: string, kind: 'msg'): SysvMsgDetail[];
export function listSysv(mount: string, kind: 'shm'): SysvShmDetail[];
export function listSysv(mount: string, kind: SysvKind): SysvDetail[];
export function listSysv(mount: string, kind: SysvKind): SysvDetail[] {
  const out: SysvDetail[] = [];
  for (const id of listSysvIds(mount, kind)) {
    const d = sysvDetail(mount, kind, id);
    if (d) out.push(d);
  }
  return out;
}

/** A POSIX object's record from its status text (name: the status's `name:`, else the path's). */
export function posixFromStatus(kind: PosixKind, name: string, text: string): PosixRecord {
  const f = parseStatus(text);
  const common = { name: first(f, 'name') ?? name, perms: octal(f, 'perms'), uid: num(f, 'owner'), gid: num(f, 'group'), ctime: epochSeconds(first(f, 'ctime')), fields: f };
  switch (kind) {
    case 'sem': {
      const otime = epochSeconds(first(f, 'otime'));
      return { ...common, kind, mtime: Math.max(otime, common.ctime), value: num(f, 'value'), ncount: num(f, 'ncnt'), zcount: num(f, 'zcnt'), pid: num(f, 'pid'), otime, cuid: num(f, 'cuid'), cgid: num(f, 'cgid'), undo: undoHolders(f) };
    }
    case 'mq': {
      const qsize = /QSIZE:\s*(\d+)/.exec(text);
      return {
        ...common,
        kind,
        mtime: epochSeconds(first(f, 'mtime')),
        messages: num(f, 'curmsgs'),
        bytes: qsize ? Number(qsize[1]) : 0,
        maxmsg: num(f, 'maxmsg'),
        msgsize: num(f, 'msgsize'),
        senders: numbers(first(f, 'senders')),
        receivers: numbers(first(f, 'receivers')),
        held: heldMessages(f),
        unlinked: first(f, 'unlinked') === 'yes',
      };
    }
    case 'shm':
      return {
        ...common,
        kind,
        mtime: epochSeconds(first(f, 'mtime')),
        size: num(f, 'size'),
        cuid: num(f, 'cuid'),
        cgid: num(f, 'cgid'),
        opens: num(f, 'opens'),
        served: first(f, 'served') ?? '',
        unlinked: first(f, 'unlinked') === 'yes',
      };
  }
}

/** The names of a POSIX kind (`/a`, `/sub/b`), sorted, walking subdirectories. */
export function listPosixNames(mount: string, kind: PosixKind): string[] {
  const names: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (prefix && isVanished(err)) return; // a subdirectory removed meanwhile, or closed to us
      throw err;
    }
    for (const e of entries) {
      if (e.name === '.new') continue;
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}/${e.name}`);
      else names.push(`${prefix}/${e.name}`);
    }
  };
  walk(posixStatusDir(mount, kind), '');
  return names.sort();
}

/** One POSIX object by name (`/NAME`), or null when it is not there (or may not be read). */
export function posixDetail(mount: string, kind: 'sem', name: string): PosixSem | null;
export function posixDetail(mount: string, kind: 'mq', name: string): PosixMq | null;
export function posixDetail(mount: string, kind: 'shm', name: string): PosixShm | null;
export function posixDetail(mount: string, kind: PosixKind, name: string): PosixRecord | null;
export function posixDetail(mount: string, kind: PosixKind, name: string): PosixRecord | null {
  const rel = name.replace(/^\/+/, '');
  if (!rel || rel.split('/').some((p) => p === '' || p === '.' || p === '..')) return null;
  let text: string;
  try {
    text = readToEnd(join(posixStatusDir(mount, kind), rel));
  } catch (err) {
    if (isVanished(err) || (err as NodeJS.ErrnoException).code === 'EISDIR') return null;
    throw err;
  }
  return posixFromStatus(kind, `/${rel}`, text);
}

/** Every POSIX named object of a kind, sorted by name. */
export function listPosix(mount: string, kind: 'sem'): PosixSem[];
export function listPosix(mount: string, kind: 'mq'): PosixMq[];
export function listPosix(mount: string, kind: 'shm'): PosixShm[];
export function listPosix(mount: string, kind: PosixKind): PosixRecord[];
export function listPosix(mount: string, kind: PosixKind): PosixRecord[] {
  const out: PosixRecord[] = [];
  for (const name of listPosixNames(mount, kind)) {
    const r = posixDetail(mount, kind, name);
    if (r) out.push(r);
  }
  return out;
}

/**
 * A /proc/sysvipc table's text (the kernel's, or the mount's `sysvipc/KIND`) as records: columns
 * are found by the header's names, so widths do not matter. perms keeps mode & 0777; a segment's
 * SHM_DEST (01000) and SHM_LOCKED (02000) bits become dest and locked. `fields` holds the row by
 * column name. Rows that do not parse are skipped (as util-linux's sscanf loop skips them).
 */
export function parseSysvTable(kind: 'sem', text: string): SysvSem[];
export function parseSysvTable(kind: 'msg', text: string): SysvMsg[];
export function parseSysvTable(kind: 'shm', text: string): SysvShm[];
export function parseSysvTable(kind: SysvKind, text: string): SysvRecord[];
export function parseSysvTable(kind: SysvKind, text: string): SysvRecord[] {
  const [header, ...rows] = text.split('\n');
  const names = (header ?? '').trim().split(/\s+/);
  const idName = kind === 'sem' ? 'semid' : kind === 'msg' ? 'msqid' : 'shmid';
  const out: SysvRecord[] = [];
  for (const row of rows) {
    const values = row.trim().split(/\s+/);
    if (values.length < names.length || !names.includes(idName)) continue;
    const fields: StatusFields = new Map(names.map((n, i) => [n, [values[i]!]]));
    const n = (name: string): number => Number(fields.get(name)?.[0] ?? 0);
    if (!/^-?\d+$/.test(fields.get('key')?.[0] ?? '') || !/^\d+$/.test(fields.get(idName)?.[0] ?? '')) continue;
    const mode = parseInt(fields.get('perms')?.[0] ?? '0', 8);
    const common: SysvCommon = { id: n(idName), key: n('key') | 0, perms: mode & 0o777, uid: n('uid'), gid: n('gid'), cuid: n('cuid'), cgid: n('cgid'), ctime: n('ctime'), fields };
    if (kind === 'sem') out.push({ ...common, kind, nsems: n('nsems'), otime: n('otime') });
    else if (kind === 'msg') out.push({ ...common, kind, cbytes: n('cbytes'), qnum: n('qnum'), qbytes: 0, lspid: n('lspid'), lrpid: n('lrpid'), stime: n('stime'), rtime: n('rtime') });
    else out.push({ ...common, kind, size: n('size'), cpid: n('cpid'), lpid: n('lpid'), nattch: n('nattch'), atime: n('atime'), dtime: n('dtime'), dest: (mode & 0o1000) !== 0, locked: (mode & 0o2000) !== 0 });
  }
  return out.sort((a, b) => a.id - b.id);
}

/**
 * The mount's `sysvipc/KIND` table, or null when the mount has none (an older daemon). It lists
 * every object whatever its mode, as /proc/sysvipc does; `qbytes` is not in it (0: what ipcs shows
 * when IPC_STAT is refused).
 */
export function readSysvTable(mount: string, kind: 'sem'): SysvSem[] | null;
export function readSysvTable(mount: string, kind: 'msg'): SysvMsg[] | null;
export function readSysvTable(mount: string, kind: 'shm'): SysvShm[] | null;
export function readSysvTable(mount: string, kind: SysvKind): SysvRecord[] | null;
export function readSysvTable(mount: string, kind: SysvKind): SysvRecord[] | null {
  let text: string;
  try {
    text = readToEnd(join(mount, 'sysvipc', kind));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
  return parseSysvTable(kind, text);
}

/**
 * What a listing shows (ipcs, lsipc): every System V object of a kind, ascending id — from the
 * mount's `sysvipc/KIND` table when it has one (objects whose status the reader may not read
 * included, as the kernel's /proc/sysvipc), else from the status files (listSysv).
 */
export function listSysvBrief(mount: string, kind: 'sem'): SysvSem[];
export function listSysvBrief(mount: string, kind: 'msg'): SysvMsg[];
export function listSysvBrief(mount: string, kind: 'shm'): SysvShm[];
export function listSysvBrief(mount: string, kind: SysvKind): SysvRecord[];
export function listSysvBrief(mount: string, kind: SysvKind): SysvRecord[] {
  return readSysvTable(mount, kind) ?? listSysv(mount, kind);
}
