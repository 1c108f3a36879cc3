/**
 * `ipcfs lsipc`: util-linux's lsipc over an ipcfs mount. Options, defaults, messages and exit
 * codes are util-linux's (2.38, the system's, where it has them; 2.41's POSIX options -S -M -Q
 * -N and columns NAME, MTIME, SVAL), the layout libsmartcols' (tools/lsipc-table.ts). ipcfs's own
 * columns (UNDO, WAITERS, HELD, HELDBY) are shown only when -o names them (or --output-all).
 * Data: the mount's files only (tools/ipc-objects.ts; limits/ for --global).
 */
import { COLUMNS, DEFAULT_COLUMNS, applyOutputList, allColumns, ColumnError, type Kind } from './lsipc-columns.js';
import { globalCells, globalRows, readLimits, type Usage } from './lsipc-global.js';
import { prettyLines, type TimeMode } from './lsipc-format.js';
import { systemLookup } from './lsipc-names.js';
import { objectRow, type LsipcObject, type RowOptions } from './lsipc-rows.js';
import { renderTable, type Cell, type OutputMode } from './lsipc-table.js';
import { getoptInOrder, usageFailure, type LongOption } from './getopt.js';
import { listPosix, listSysvBrief, posixDetail, sysvDetail, type SysvSemDetail } from './ipc-objects.js';
import { mountFrom, requireMount } from './mount-check.js';
import { errText } from './cli-io.js';
import { SHM_LIMITS } from '../ipc/shm/limits.js';

const PROG = 'lsipc';
const VERSION = '0.1.0';

const SHORTOPTS = 'bceghi:JlMmN:no:PQqrSstVy';
const LONGOPTS: LongOption[] = [
  { name: 'bytes', hasArg: 'none', key: 'b' },
  { name: 'creator', hasArg: 'none', key: 'c' },
  { name: 'export', hasArg: 'none', key: 'e' },
  { name: 'global', hasArg: 'none', key: 'g' },
  { name: 'help', hasArg: 'none', key: 'h' },
  { name: 'id', hasArg: 'required', key: 'i' },
  { name: 'json', hasArg: 'none', key: 'J' },
  { name: 'list', hasArg: 'none', key: 'l' },
  { name: 'name', hasArg: 'required', key: 'N' },
  { name: 'newline', hasArg: 'none', key: 'n' },
  { name: 'noheadings', hasArg: 'none', key: 'noheadings' },
  { name: 'notruncate', hasArg: 'none', key: 'notruncate' },
  { name: 'numeric-perms', hasArg: 'none', key: 'P' },
  { name: 'output', hasArg: 'required', key: 'o' },
  { name: 'output-all', hasArg: 'none', key: 'output-all' },
  { name: 'posix-mqueues', hasArg: 'none', key: 'Q' },
  { name: 'posix-semaphores', hasArg: 'none', key: 'S' },
  { name: 'posix-shmems', hasArg: 'none', key: 'M' },
  { name: 'queues', hasArg: 'none', key: 'q' },
  { name: 'raw', hasArg: 'none', key: 'r' },
  { name: 'semaphores', hasArg: 'none', key: 's' },
  { name: 'shmems', hasArg: 'none', key: 'm' },
  { name: 'time', hasArg: 'none', key: 't' },
  { name: 'time-format', hasArg: 'required', key: 'time-format' },
  { name: 'version', hasArg: 'none', key: 'V' },
  { name: 'shell', hasArg: 'none', key: 'y' },
  { name: 'mount', hasArg: 'required', key: 'mount' },
];

/**
 * util-linux's mutually exclusive groups (err_exclusive_options), the message naming the whole
 * group. 2.38's groups first, so that its combinations keep 2.38's message; 2.41's wider ones
 * (with the POSIX options) after.
 */
const EXCLUSIVE: string[][] = [
  ['J', 'e', 'l', 'n', 'r'],
  ['g', 'i'],
  ['N', 'g', 'i'],
  ['m', 'q', 's'],
  ['M', 'Q', 'S', 'm', 'q', 's'],
];

const longName = (key: string): string => `--${LONGOPTS.find((o) => o.key === key)!.name}`;

class Exit extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

function errx(message: string): never {
  process.stderr.write(`${PROG}: ${message}\n`);
  throw new Exit(1);
}

const KIND_BY_FLAG: Record<string, Kind> = { s: 'sem', q: 'msg', m: 'shm', S: 'psem', Q: 'pmsg', M: 'pshm' };
const TABLE_NAME: Record<Kind, string> = { sem: 'semaphores', msg: 'messages', shm: 'sharedmemory', psem: 'posix-semaphores', pmsg: 'posix-messages', pshm: 'posix-sharedmemory', global: 'ipclimits' };

interface Control {
  outmode: OutputMode | 'pretty' | 'list' | null;
  noheadings: boolean;
  shellvar: boolean;
  bytes: boolean;
  numericPerms: boolean;
  time: TimeMode | null;
}

/** util-linux's strtos32_or_err for --id: decimal (with sign and blanks as strtol takes them). */
function parseId(text: string): number {
  const m = /^\s*([+-]?\d+)$/.exec(text);
  const n = m ? Number(m[1]) : NaN;
  if (!m || n < -2147483648 || n > 2147483647) errx(`failed to parse IPC identifier: '${text}'`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  try {
    return run(argv);
  } catch (err) {
    if (err instanceof Exit) return err.status;
    // the daemon gone after the mount check, a directory it refuses: one line, as the check's
    if ((err as NodeJS.ErrnoException).code) {
      process.stderr.write(`${PROG}: ${errText(err)}\n`);
      return 1;
    }
    throw err;
  }
}

/**
 * util-linux acts on each option as getopt_long returns it, so an option before a wrong one still
 * counts (`lsipc -h -x` is help, `lsipc -J -r -x` the exclusive pair): on getopt's error, the
 * options before the refused one act first (getoptInOrder), and the error is reported only if
 * they went through.
 */
function run(argv: string[]): number {
  const parsed = getoptInOrder(PROG, argv, SHORTOPTS, LONGOPTS);
  const refused = parsed.error ?? null;
  const ctl: Control = { outmode: null, noheadings: false, shellvar: false, bytes: false, numericPerms: false, time: null };
  const kinds: Kind[] = [];
  let columns: number[] = [];
  let id = -1;
  let name: string | null = null;
  let outarg: string | null = null;
  let global = false;
  let showTime = false;
  let showCreator = false;
  let outputAll = false;
  let mountOption: string | undefined;
  const seen = EXCLUSIVE.map(() => '');

  for (const { key, arg } of parsed.options) {
    EXCLUSIVE.forEach((group, g) => {
      if (!group.includes(key)) return;
      if (!seen[g]) seen[g] = key;
      else if (seen[g] !== key) errx(`mutually exclusive arguments: ${group.map(longName).join(' ')}`);
    });
    switch (key) {
      case 'b':
        ctl.bytes = true;
        break;
      case 'i':
        id = parseId(arg!);
        break;
      case 'N':
        name = arg!;
        break;
      case 'e':
        ctl.outmode = 'export';
        break;
      case 'r':
        ctl.outmode = 'raw';
        break;
      case 'n':
        ctl.outmode = 'newline';
        break;
      case 'J':
        ctl.outmode = 'json';
        break;
      case 'l':
        ctl.outmode = 'list';
        break;
      case 'o':
        outarg = arg!;
        break;
      case 'output-all':
        outputAll = true;
        break;
      case 'g':
        global = true;
        break;
      case 'P':
        ctl.numericPerms = true;
        break;
      case 'noheadings':
        ctl.noheadings = true;
        break;
      case 'notruncate':
        break; // nothing is truncated: the table is never cut to a terminal's width
      case 'time-format':
        if (arg !== 'short' && arg !== 'full' && arg !== 'iso') errx(`unknown time format: ${arg}`);
        ctl.time = arg;
        break;
      case 't':
        showTime = true;
        break;
      case 'c':
        showCreator = true;
        break;
      case 'y':
        ctl.shellvar = true;
        break;
      case 'mount':
        mountOption = arg;
        break;
      case 'h':
        process.stdout.write(usage());
        return 0;
      case 'V':
        process.stdout.write(`${PROG} from ipcfs ${VERSION} (util-linux 2.41's options)\n`);
        return 0;
      default: {
        const kind = KIND_BY_FLAG[key]!;
        kinds.push(kind);
        columns.push(...DEFAULT_COLUMNS[kind]);
      }
    }
  }

  if (refused) return usageFailure(PROG, refused);

  let posixAsked = kinds.some((k) => k.startsWith('p'));
  if (kinds.length === 0) {
    kinds.push('msg', 'pmsg', 'shm', 'pshm', 'sem', 'psem');
    posixAsked = true;
    global = true;
    if (showTime || showCreator || id !== -1 || name !== null) {
      errx(name !== null ? '--global is mutually exclusive with --creator, --id, --name and --time' : '--global is mutually exclusive with --creator, --id and --time');
    }
  }
  // the kind -o checks names against: the last one asked (lsipc's LOWER/UPPER), or --global
  const rangeKind: Kind = global ? 'global' : kinds[kinds.length - 1]!;
  if (global) columns.push(...DEFAULT_COLUMNS.global);

  if ((id !== -1 || name !== null) && !ctl.outmode) ctl.outmode = 'pretty';
  const time: TimeMode = ctl.time ?? (ctl.outmode === 'pretty' ? 'full' : 'short');

  if (ctl.outmode === 'pretty' && !(showCreator || showTime)) {
    // the detail view: every util-linux column (those that have no data for this kind drop out)
    columns = COLUMNS.map((_, i) => i).filter((i) => !COLUMNS[i]!.ipcfs);
  } else {
    if (showCreator) {
      columns.push(col('CUID'), col('CGID'));
      if (!posixAsked) columns.push(col('UID'), col('GID'));
    }
    if (kinds.includes('msg') && showTime) columns.push(col('SEND'), col('RECV'), col('CTIME'));
    if (kinds.includes('shm') && showTime) {
      // COMMAND stays the last column
      const command = columns[columns.length - 1] === col('COMMAND');
      if (command) columns.pop();
      columns.push(col('ATTACH'), col('DETACH'));
      if (command) columns.push(col('COMMAND'));
    }
    if (kinds.includes('sem') && showTime) columns.push(col('OTIME'), col('CTIME'));
  }
  if (outputAll) columns = allColumns(rangeKind);
  if (outarg !== null) {
    try {
      columns = applyOutputList(outarg, columns, rangeKind);
    } catch (err) {
      if (!(err instanceof ColumnError)) throw err;
      if (err.message) process.stderr.write(`${PROG}: ${err.message}\n`);
      return 1;
    }
  }

  const mount = mountFrom(mountOption);
  const bad = requireMount(mount, PROG);
  if (bad !== null) return bad;

  const opt: RowOptions = { bytes: ctl.bytes, numericPerms: ctl.numericPerms, time, now: Math.floor(Date.now() / 1000), lookup: systemLookup() };
  const rows: Cell[][] = [];
  let tableName = '';
  let elements: SysvSemDetail | null = null;

  if (global) {
    tableName = TABLE_NAME.global;
    const limits = readLimits(mount);
    const usage = usageOf(mount, kinds);
    for (const kind of kinds) {
      for (const r of globalRows(kind, limits, usage, SHM_LIMITS.pageSize)) {
        const cells = globalCells(r, ctl.bytes);
        rows.push(columns.map((c) => cells[COLUMNS[c]!.name] ?? null));
      }
    }
  } else {
    for (const kind of kinds) {
      const objects = objectsOf(mount, kind, id, name, columns);
      // util-linux names a System V queue or segment table only when it found some (a semaphore table always)
      if (objects.length > 0 || kind === 'sem') tableName = TABLE_NAME[kind];
      for (const o of objects) rows.push(objectRow(o, columns, opt));
      if (kind === 'sem' && id !== -1 && objects.length === 1 && 'sems' in objects[0]!) elements = objects[0] as SysvSemDetail;
    }
  }

  if (ctl.outmode === 'pretty') {
    process.stdout.write(pretty(columns, rows[0] ?? null, elements, ctl));
    return 0;
  }
  const mode: OutputMode = ctl.outmode === 'list' || ctl.outmode === null ? 'table' : ctl.outmode;
  const tableColumns = columns.map((c) => ({ name: COLUMNS[c]!.name, right: COLUMNS[c]!.right }));
  process.stdout.write(renderTable(tableColumns, rows, { mode, noheadings: ctl.noheadings, shellvar: ctl.shellvar, name: tableName }));
  return 0;
}

const col = (name: string): number => COLUMNS.findIndex((c) => c.name === name);

/**
 * The objects of a kind, as util-linux lists them: System V from the listing (the mount's sysvipc/
 * table, every object whatever its mode, as /proc/sysvipc), --id picked from it (util-linux's
 * warning when it is not there), each object's status merged in where ipcfs's columns or the
 * Elements table need it (left out when the reader may not read it); POSIX from the kind's
 * directory, --name by its status.
 */
function objectsOf(mount: string, kind: Kind, id: number, name: string | null, columns: readonly number[]): LsipcObject[] {
  switch (kind) {
    case 'sem':
    case 'msg':
    case 'shm': {
      const listed = listSysvBrief(mount, kind);
      const picked = id === -1 ? listed : listed.filter((o) => o.id === id);
      if (id !== -1 && picked.length === 0) process.stderr.write(`${PROG}: id ${id} not found\n`);
      if (id === -1 && !columns.some((c) => COLUMNS[c]!.ipcfs)) return picked;
      return picked.map((o) => ({ ...o, ...(sysvDetail(mount, kind, o.id) ?? {}) }) as LsipcObject);
    }
    default: {
      const posix = kind === 'psem' ? 'sem' : kind === 'pmsg' ? 'mq' : 'shm';
      if (name === null) return listPosix(mount, posix);
      const one = posixDetail(mount, posix, name.startsWith('/') ? name : `/${name}`);
      if (!one) process.stderr.write(`${PROG}: ${kind === 'psem' ? 'semaphore' : kind === 'pmsg' ? 'message queue' : 'shared memory segment'} ${name} not found\n`);
      return one ? [one] : [];
    }
  }
}

function usageOf(mount: string, kinds: readonly Kind[]): Usage {
  const u: Usage = { msgQueues: 0, posixQueues: 0, shmSegments: 0, shmBytes: 0, semSets: 0, semaphores: 0 };
  if (kinds.includes('msg')) u.msgQueues = listSysvBrief(mount, 'msg').length;
  if (kinds.includes('pmsg')) u.posixQueues = listPosix(mount, 'mq').length;
  if (kinds.includes('shm')) {
    const segs = listSysvBrief(mount, 'shm');
    u.shmSegments = segs.length;
    u.shmBytes = segs.reduce((n, s) => n + s.size, 0);
  }
  if (kinds.includes('sem')) {
    const sets = listSysvBrief(mount, 'sem');
    u.semSets = sets.length;
    u.semaphores = sets.reduce((n, s) => n + s.nsems, 0);
  }
  return u;
}

/** The --id / --name detail view, and a semaphore set's Elements table (lsipc's print_pretty). */
function pretty(columns: readonly number[], row: Cell[] | null, set: SysvSemDetail | null, ctl: Control): string {
  if (!row) return '';
  let out = prettyLines(columns.map((c, i) => [COLUMNS[c]!.pretty, row[i] ?? null]));
  if (set && set.nsems > 0) {
    const lookup = systemLookup();
    const elementColumns = ['SEMNUM', 'VALUE', 'NCOUNT', 'ZCOUNT', 'PID', 'COMMAND'].map((n) => ({ name: n, right: true }));
    const rows = set.sems.map((e, i) => [String(i), String(e.value), String(e.ncount), String(e.zcount), String(e.pid), lookup.cmdline(e.pid)]);
    out += `Elements:\n\n${renderTable(elementColumns, rows, { mode: 'table', shellvar: ctl.shellvar })}`;
  }
  return out;
}

function usage(): string {
  const lines = [
    '',
    'Usage:',
    ` ${PROG} [options]`,
    '',
    'Show information on IPC facilities (of an ipcfs mount).',
    '',
    'Resource options:',
    ' -m, --shmems             shared memory segments',
    ' -M, --posix-shmems       POSIX shared memory segments',
    ' -q, --queues             message queues',
    ' -Q, --posix-mqueues      POSIX message queues',
    ' -s, --semaphores         semaphores',
    ' -S, --posix-semaphores   POSIX semaphores',
    ' -g, --global             info about system-wide usage',
    '                            (may be used with -m, -q and -s)',
    ' -i, --id <id>            System V resource identified by <id>',
    ' -N, --name <name>        POSIX resource identified by <name>',
    '',
    'Options:',
    '     --mount <dir>        the ipcfs mount (default: $IPCFS_MOUNT, else /mnt/ipc)',
    '     --noheadings         don\'t print headings',
    '     --notruncate         don\'t truncate output',
    '     --time-format=<type> display dates in short, full or iso format',
    ' -b, --bytes              print SIZE in bytes rather',
    ' -c, --creator            show creator and owner',
    ' -e, --export             display in an export-able output format',
    ' -J, --json               use the JSON output format',
    ' -n, --newline            display each piece of information on a new line',
    ' -l, --list               force list output format (for example with --id)',
    ' -o, --output[=<list>]    define the columns to output',
    '     --output-all         output all columns of the kind (ipcfs\'s included)',
    ' -P, --numeric-perms      print numeric permissions (PERMS column)',
    ' -r, --raw                display in raw mode',
    ' -t, --time               show attach, detach and change times',
    ' -y, --shell              use column names to be usable as shell variables',
    '',
    ' -h, --help               display this help',
    ' -V, --version            display version',
  ];
  const group = (title: string, names: string[]): void => {
    lines.push('', title);
    for (const n of names) lines.push(` ${n.padStart(14)}  ${COLUMNS[col(n)]!.help}`);
  };
  const between = (a: string, b: string): string[] => COLUMNS.slice(col(a), col(b) + 1).map((c) => c.name);
  group('Generic System V columns:', between('KEY', 'CTIME'));
  group('Generic POSIX columns:', ['NAME', ...between('OWNER', 'CGROUP'), 'MTIME']);
  group('System V Shared-memory columns (--shmems):', between('SIZE', 'LPID'));
  group('System V Message-queue columns (--queues):', between('USEDBYTES', 'LRPID'));
  group('System V Semaphore columns (--semaphores):', between('NSEMS', 'OTIME'));
  group('POSIX Semaphore columns (--posix-semaphores):', ['SVAL']);
  group('Summary columns (--global):', between('RESOURCE', 'USE%'));
  group('ipcfs columns (only with -o or --output-all; semaphores, queues):', COLUMNS.filter((c) => c.ipcfs).map((c) => c.name));
  lines.push('', 'The mount: --mount DIR, else the IPCFS_MOUNT environment variable, else /mnt/ipc.', 'For more details see lsipc(1) and ipcfs\'s docs/protocol.md (lsipc).', '');
  return lines.join('\n');
}
