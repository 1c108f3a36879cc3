/**
 * lsipc's columns: util-linux 2.41's table (sys-utils/lsipc.c coldescs, in its order: the order of
 * the --id detail view and of --help), then the columns only ipcfs has (undo holders, waiters,
 * held messages), which no default column list includes. And lsipc's `-o LIST` parsing
 * (string_add_to_idarray): `+LIST` appends, case-insensitive names, util-linux's messages.
 */

export type Kind = 'sem' | 'msg' | 'shm' | 'psem' | 'pmsg' | 'pshm' | 'global';

export interface ColumnDesc {
  name: string;
  help: string;
  /** the label of the --id detail view */
  pretty: string;
  right?: boolean;
  /** only ipcfs has it: never in a default list, never in the detail view unless asked */
  ipcfs?: boolean;
}

export const COLUMNS: readonly ColumnDesc[] = [
  { name: 'KEY', help: 'Resource key', pretty: 'Key' },
  { name: 'ID', help: 'Resource ID', pretty: 'ID' },
  { name: 'OWNER', help: "Owner's username or UID", pretty: 'Owner', right: true },
  { name: 'PERMS', help: 'Permissions', pretty: 'Permissions', right: true },
  { name: 'CUID', help: 'Creator UID', pretty: 'Creator UID', right: true },
  { name: 'CUSER', help: 'Creator user', pretty: 'Creator user' },
  { name: 'CGID', help: 'Creator GID', pretty: 'Creator GID', right: true },
  { name: 'CGROUP', help: 'Creator group', pretty: 'Creator group' },
  { name: 'UID', help: 'User ID', pretty: 'UID', right: true },
  { name: 'USER', help: 'User name', pretty: 'User name' },
  { name: 'GID', help: 'Group ID', pretty: 'GID', right: true },
  { name: 'GROUP', help: 'Group name', pretty: 'Group name' },
  { name: 'CTIME', help: 'Time of the last change', pretty: 'Last change', right: true },
  { name: 'NAME', help: 'POSIX resource name', pretty: 'Name' },
  { name: 'MTIME', help: 'Time of last action', pretty: 'Last action', right: true },
  { name: 'USEDBYTES', help: 'Bytes used', pretty: 'Bytes used', right: true },
  { name: 'MSGS', help: 'Number of messages', pretty: 'Messages' },
  { name: 'SEND', help: 'Time of last msg sent', pretty: 'Msg sent', right: true },
  { name: 'RECV', help: 'Time of last msg received', pretty: 'Msg received', right: true },
  { name: 'LSPID', help: 'PID of the last msg sender', pretty: 'Msg sender', right: true },
  { name: 'LRPID', help: 'PID of the last msg receiver', pretty: 'Msg receiver', right: true },
  { name: 'SIZE', help: 'Segment size', pretty: 'Segment size', right: true },
  { name: 'NATTCH', help: 'Number of attached processes', pretty: 'Attached processes', right: true },
  { name: 'STATUS', help: 'Status', pretty: 'Status' },
  { name: 'ATTACH', help: 'Attach time', pretty: 'Attach time', right: true },
  { name: 'DETACH', help: 'Detach time', pretty: 'Detach time', right: true },
  { name: 'COMMAND', help: 'Creator command line', pretty: 'Creator command' },
  { name: 'CPID', help: 'PID of the creator', pretty: 'Creator PID', right: true },
  { name: 'LPID', help: 'PID of last user', pretty: 'Last user PID', right: true },
  { name: 'NSEMS', help: 'Number of semaphores', pretty: 'Semaphores', right: true },
  { name: 'OTIME', help: 'Time of the last operation', pretty: 'Last operation', right: true },
  { name: 'RESOURCE', help: 'Resource name', pretty: 'Resource' },
  { name: 'DESCRIPTION', help: 'Resource description', pretty: 'Description' },
  { name: 'LIMIT', help: 'System-wide limit', pretty: 'Limit', right: true },
  { name: 'USED', help: 'Currently used', pretty: 'Used', right: true },
  { name: 'USE%', help: 'Currently use percentage', pretty: 'Use', right: true },
  { name: 'SVAL', help: 'Semaphore value', pretty: 'Value', right: true },
  // ipcfs only
  { name: 'UNDO', help: 'Undo holders: PID:COMMAND:SEMNUM:ADJ, comma-separated', pretty: 'Undo holders', ipcfs: true },
  { name: 'WAITERS', help: 'Processes sleeping on the object', pretty: 'Waiters', right: true, ipcfs: true },
  { name: 'HELD', help: 'Messages held by robust receivers, not yet acknowledged', pretty: 'Held messages', right: true, ipcfs: true },
  { name: 'HELDBY', help: 'Held messages: ID:PID:COMMAND:SIZE, comma-separated', pretty: 'Held by', ipcfs: true },
];

const index = (name: string): number => COLUMNS.findIndex((c) => c.name === name);
export const COL = Object.fromEntries(COLUMNS.map((c, i) => [c.name, i])) as Record<string, number>;

/** The last generic System V column: a name up to it is accepted for every kind (lsipc.c: i > COL_CTIME). */
const LAST_GENERIC = index('CTIME');

const range = (first: string, last: string): number[] => Array.from({ length: index(last) - index(first) + 1 }, (_, i) => index(first) + i);
const names = (...n: string[]): number[] => n.map(index);

/**
 * The non-generic columns each kind accepts in -o. System V kinds and --global: util-linux's
 * ranges. POSIX kinds: 2.41's range is NAME..MTIME only, which refuses `-o +MSGS` with -Q though
 * MSGS is one of -Q's default columns; ipcfs also accepts each POSIX kind's own columns (a
 * decision written in docs/protocol.md).
 */
export const KIND_COLUMNS: Record<Kind, number[]> = {
  msg: [...range('USEDBYTES', 'LRPID'), ...names('WAITERS', 'HELD', 'HELDBY')],
  shm: range('SIZE', 'LPID'),
  sem: [...range('NSEMS', 'OTIME'), ...names('UNDO', 'WAITERS')],
  pmsg: [...names('NAME', 'MTIME', 'USEDBYTES', 'MSGS'), ...names('WAITERS', 'HELD', 'HELDBY')],
  pshm: names('NAME', 'MTIME', 'SIZE'),
  psem: [...names('NAME', 'MTIME', 'SVAL'), ...names('UNDO', 'WAITERS')],
  global: range('RESOURCE', 'USE%'),
};

/** Each kind's default columns (lsipc.c main), in order. */
export const DEFAULT_COLUMNS: Record<Kind, number[]> = {
  msg: names('KEY', 'ID', 'PERMS', 'OWNER', 'USEDBYTES', 'MSGS', 'LSPID', 'LRPID'),
  pmsg: names('NAME', 'PERMS', 'OWNER', 'MTIME', 'USEDBYTES', 'MSGS'),
  shm: names('KEY', 'ID', 'PERMS', 'OWNER', 'SIZE', 'NATTCH', 'STATUS', 'CTIME', 'CPID', 'LPID', 'COMMAND'),
  pshm: names('NAME', 'PERMS', 'OWNER', 'SIZE', 'MTIME'),
  sem: names('KEY', 'ID', 'PERMS', 'OWNER', 'NSEMS'),
  psem: names('NAME', 'PERMS', 'OWNER', 'MTIME', 'SVAL'),
  global: names('RESOURCE', 'DESCRIPTION', 'LIMIT', 'USED', 'USE%'),
};

/** Every column a kind can show (--output-all): the generic ones, then its own, ipcfs's last. */
export function allColumns(kind: Kind): number[] {
  if (kind === 'global') return KIND_COLUMNS.global;
  const generic = kind.startsWith('p') ? names('OWNER', 'PERMS', 'CUID', 'CUSER', 'CGID', 'CGROUP') : range('KEY', 'CTIME');
  return [...generic, ...KIND_COLUMNS[kind]];
}

export class ColumnError extends Error {}

/** lsipc's column_name_to_id: name is the rest of the list from the item on (warnx prints it all). */
function columnId(rest: string, len: number, kind: Kind): number {
  const item = rest.slice(0, len).toUpperCase();
  const i = COLUMNS.findIndex((c) => c.name === item);
  if (i < 0) throw new ColumnError(`unknown column: ${rest}`);
  if (i > LAST_GENERIC && !KIND_COLUMNS[kind].includes(i)) throw new ColumnError(`column ${rest} does not apply to the specified IPC`);
  return i;
}

/**
 * Applies `-o list` to columns as util-linux's string_add_to_idarray: "+LIST" appends, else
 * replaces. Throws ColumnError with util-linux's message, or with an empty message for what
 * lsipc refuses silently (an empty list, an empty item).
 */
export function applyOutputList(list: string, columns: readonly number[], kind: Kind): number[] {
  if (list === '') throw new ColumnError('');
  const adding = list.startsWith('+');
  const items = adding ? list.slice(1) : list;
  const out = adding ? [...columns] : [];
  if (items === '') throw new ColumnError('');
  let begin = 0;
  for (let p = 0; p < items.length; p++) {
    let end = -1;
    if (items[p] === ',') end = p;
    if (p + 1 === items.length) end = p + 1;
    if (end < 0) continue;
    if (end <= begin) throw new ColumnError('');
    out.push(columnId(items.slice(begin), end - begin, kind));
    begin = end + 1;
    if (end === items.length) break;
  }
  // util-linux's fixed array of twice the columns: past it the list is refused without a message
  if (out.length > COLUMNS.length * 2) throw new ColumnError('');
  return out;
}
