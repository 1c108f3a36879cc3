/**
 * `ipcfs ipcs`: util-linux 2.38's ipcs over an ipcfs mount. The same options (GNU getopt_long),
 * the same headers, columns, widths, messages and exit statuses as the system's ipcs shows for
 * kernel objects, so that a script reading ipcs reads ipcfs; plus `--posix-semaphores`,
 * `--posix-shmems`, `--posix-mqueues` and `--posix` for the POSIX named objects, in the same style
 * (docs/protocol.md, "ipcs, ipcrm, ipcmk, lsipc"). Everything comes from the mount's files
 * (tools/ipc-objects.ts) and its limits/ files.
 */
import { getoptInOrder, usageFailure, type LongOption } from './getopt.js';
import { mountFrom, requireMount } from './mount-check.js';
import { errText } from './cli-io.js';
import { listPosix, listSysvBrief, readSysvTable, sysvDetail, type PosixMq, type PosixSem, type PosixShm, type SysvMsg, type SysvSemDetail, type SysvShm } from './ipc-objects.js';
import { altOct, ctime, hexKey, left, oct, printSize, right, type SizeUnit } from './ipcs-format.js';
import { ipcsLimits, type IpcsLimits } from './ipcs-limits.js';
import { groupName, userName } from './passwd.js';

const PROG = 'ipcs';
const VERSION = '0.1.0';

type Format = 'default' | 'limits' | 'status' | 'creator' | 'time' | 'pid';

const SHORT = 'i:qmsatpclubVh';
const LONG: LongOption[] = [
  { name: 'id', hasArg: 'required', key: 'i' },
  { name: 'queues', hasArg: 'none', key: 'q' },
  { name: 'shmems', hasArg: 'none', key: 'm' },
  { name: 'semaphores', hasArg: 'none', key: 's' },
  { name: 'all', hasArg: 'none', key: 'a' },
  { name: 'time', hasArg: 'none', key: 't' },
  { name: 'pid', hasArg: 'none', key: 'p' },
  { name: 'creator', hasArg: 'none', key: 'c' },
  { name: 'limits', hasArg: 'none', key: 'l' },
  { name: 'summary', hasArg: 'none', key: 'u' },
  { name: 'human', hasArg: 'none', key: 'human' },
  { name: 'bytes', hasArg: 'none', key: 'b' },
  { name: 'version', hasArg: 'none', key: 'V' },
  { name: 'help', hasArg: 'none', key: 'h' },
  // ipcfs's own
  { name: 'posix-semaphores', hasArg: 'none', key: 'posix-semaphores' },
  { name: 'posix-shmems', hasArg: 'none', key: 'posix-shmems' },
  { name: 'posix-mqueues', hasArg: 'none', key: 'posix-mqueues' },
  { name: 'posix', hasArg: 'none', key: 'posix' },
  { name: 'mount', hasArg: 'required', key: 'mount' },
];

const HELP = `
Usage:
 ${PROG} [resource-option...] [output-option]
 ${PROG} -m|-q|-s -i <id>

Show information on IPC facilities of an ipcfs mount.

Options:
 -i, --id <id>  print details on resource identified by <id>
     --mount <dir>  the ipcfs mount (default: $IPCFS_MOUNT, else /mnt/ipc)
 -h, --help     display this help
 -V, --version  display version

Resource options:
 -m, --shmems      shared memory segments
 -q, --queues      message queues
 -s, --semaphores  semaphores
 -a, --all         all (default)
     --posix-shmems      POSIX shared memory objects
     --posix-mqueues     POSIX message queues
     --posix-semaphores  POSIX named semaphores
     --posix             all three POSIX kinds

Output options:
 -t, --time        show attach, detach and change times
 -p, --pid         show PIDs of creator and last operator
 -c, --creator     show creator and owner
 -l, --limits      show resource limits
 -u, --summary     show status summary
     --human       show sizes in human-readable format
 -b, --bytes       show sizes in bytes

For more details see ipcs(1) and docs/protocol.md of ipcfs.
`;

/** A refusal util-linux prints as "ipcs: message" with exit status 1 (errx). */
class Refusal extends Error {}

/**
 * strtos32_or_err(arg, "failed to parse id argument"): strtoimax in base 10 (leading blanks and a
 * sign allowed, nothing after the digits), then the int32 range (ERANGE adds strerror's text).
 */
export function parseId(arg: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(arg);
  if (!m) throw new Refusal(`failed to parse id argument: '${arg}'`);
  const n = BigInt(m[2]!) * (m[1] === '-' ? -1n : 1n);
  if (n < -(2n ** 31n) || n > 2n ** 31n - 1n) throw new Refusal(`failed to parse id argument: '${arg}': Numerical result out of range`);
  return Number(n);
}

interface Request {
  msg: boolean;
  shm: boolean;
  sem: boolean;
  pmq: boolean;
  pshm: boolean;
  psem: boolean;
  id: number | null;
  format: Format;
  unit: SizeUnit;
  mount: string | undefined;
}

export async function main(argv: string[]): Promise<number> {
  const { options, error } = getoptInOrder(PROG, argv, SHORT, LONG);
  const r: Request = { msg: false, shm: false, sem: false, pmq: false, pshm: false, psem: false, id: null, format: 'default', unit: 'default', mount: undefined };
  try {
    for (const o of options) {
      switch (o.key) {
        case 'i':
          r.id = parseId(o.arg!);
          break;
        case 'a':
          r.msg = r.shm = r.sem = true;
          break;
        case 'q':
          r.msg = true;
          break;
        case 'm':
          r.shm = true;
          break;
        case 's':
          r.sem = true;
          break;
        case 't':
          r.format = 'time';
          break;
        case 'c':
          r.format = 'creator';
          break;
        case 'p':
          r.format = 'pid';
          break;
        case 'l':
          r.format = 'limits';
          break;
        case 'u':
          r.format = 'status';
          break;
        case 'human':
          r.unit = 'human';
          break;
        case 'b':
          r.unit = 'bytes';
          break;
        case 'posix-semaphores':
          r.psem = true;
          break;
        case 'posix-shmems':
          r.pshm = true;
          break;
        case 'posix-mqueues':
          r.pmq = true;
          break;
        case 'posix':
          r.pmq = r.pshm = r.psem = true;
          break;
        case 'mount':
          r.mount = o.arg;
          break;
        case 'h':
          process.stdout.write(HELP);
          return 0;
        case 'V':
          process.stdout.write(`${PROG} from ipcfs ${VERSION} (util-linux 2.38.1 compatible)\n`);
          return 0;
      }
    }
    if (error) return usageFailure(PROG, error);
    const kinds = [r.msg, r.shm, r.sem, r.pmq, r.pshm, r.psem].filter(Boolean).length;
    if (r.id !== null && (kinds !== 1 || r.pmq || r.pshm || r.psem)) throw new Refusal('when using an ID, a single resource must be specified');
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    process.stderr.write(`${PROG}: ${err.message}\n`);
    return 1;
  }

  const mount = mountFrom(r.mount);
  const bad = requireMount(mount, PROG);
  if (bad !== null) return bad;
  try {
    if (r.id !== null) return detail(mount, r);
    if (!r.msg && !r.shm && !r.sem && !r.pmq && !r.pshm && !r.psem) r.msg = r.shm = r.sem = true;
    let out = '\n';
    const limits = r.format === 'limits' ? ipcsLimits(mount) : null;
    if (r.msg) out += `${msgSection(mount, r.format, r.unit, limits)}\n`;
    if (r.shm) out += `${shmSection(mount, r.format, r.unit, limits)}\n`;
    if (r.sem) out += `${semSection(mount, r.format, limits)}\n`;
    if (r.pmq) out += `${posixMqSection(mount, r.format, r.unit, limits)}\n`;
    if (r.pshm) out += `${posixShmSection(mount, r.format, r.unit)}\n`;
    if (r.psem) out += `${posixSemSection(mount, r.format, limits)}\n`;
    process.stdout.write(out);
    return 0;
  } catch (err) {
    // the daemon died while we read, or a file refused us: one line, as a failed syscall in ipcs
    process.stderr.write(`${PROG}: ${mount}: ${errText(err)}\n`);
    return 1;
  }
}

// ---- names

/** `%-10.10s` of the user's name, or `%-10u` of the uid when it has none. */
function owner(uid: number): string {
  const name = userName(uid);
  return name === undefined ? left(uid, 10) : left(name, 10, 10);
}

/** ipc_print_perms: id, perms, creator and owner names (or numbers), 10 wide each. */
function permsRow(id: number | string, perms: number, cuid: number, cgid: number, uid: number, gid: number): string {
  const u = (n: number): string => left(userName(n) ?? n, 10);
  const g = (n: number): string => left(groupName(n) ?? n, 10);
  return `${left(id, 10)} ${left(oct(perms), 10)} ${u(cuid)} ${g(cgid)} ${u(uid)} ${g(gid)}\n`;
}

const creatorHeader = (id: string): string => `${[id, 'perms', 'cuid', 'cgid', 'uid', 'gid'].map((h) => left(h, 10)).join(' ')}\n`;

/** `%-W.16s` of ctime+4 ("Nov 24 04:35:12 "), or "Not set" */
const shortTime = (t: number): string => left(t ? ctime(t).slice(4) : 'Not set', 20, 16);
/** `%-26.24s` of ctime, or "Not set" */
const longTime = (t: number): string => left(t ? ctime(t) : 'Not set', 26, 24);

// ---- System V listings

function msgSection(mount: string, format: Format, unit: SizeUnit, limits: IpcsLimits | null): string {
  switch (format) {
    case 'limits': {
      const l = limits!;
      const u = unit === 'default' ? 'bytes' : unit;
      return `------ Messages Limits --------\nmax queues system wide = ${l.msgmni}\n${printSize(u, 'max size of message', l.msgmax, '\n', 0)}${printSize(u, 'default max size of queue', l.msgmnb, '\n', 0)}`;
    }
    case 'status': {
      const qs = listSysvBrief(mount, 'msg');
      const sum = (f: (q: SysvMsg) => number): number => qs.reduce((a, q) => a + f(q), 0);
      return `------ Messages Status --------\nallocated queues = ${qs.length}\nused headers = ${sum((q) => q.qnum)}\n${printSize(unit, 'used space', sum((q) => q.cbytes), unit === 'default' ? ' bytes\n' : '\n', 0)}`;
    }
    case 'creator':
      return `------ Message Queues Creators/Owners --------\n${creatorHeader('msqid')}${listSysvBrief(mount, 'msg')
        .map((q) => permsRow(q.id, q.perms, q.cuid, q.cgid, q.uid, q.gid))
        .join('')}`;
    case 'time':
      return `------ Message Queues Send/Recv/Change Times --------\n${left('msqid', 8)} ${left('owner', 10)} ${left('send', 20)} ${left('recv', 20)} ${left('change', 20)}\n${listSysvBrief(mount, 'msg')
        .map((q) => `${left(q.id, 8)} ${owner(q.uid)} ${shortTime(q.stime)} ${shortTime(q.rtime)} ${shortTime(q.ctime)}\n`)
        .join('')}`;
    case 'pid':
      return `------ Message Queues PIDs --------\n${['msqid', 'owner', 'lspid', 'lrpid'].map((h) => left(h, 10)).join(' ')}\n${listSysvBrief(mount, 'msg')
        .map((q) => `${left(q.id, 8)} ${owner(q.uid)}  ${right(q.lspid, 5)}     ${right(q.lrpid, 5)}\n`)
        .join('')}`;
    case 'default':
      return `------ Message Queues --------\n${['key', 'msqid', 'owner', 'perms'].map((h) => left(h, 10)).join(' ')} ${left(unit === 'human' ? 'size' : 'used-bytes', 12)} ${left('messages', 12)}\n${listSysvBrief(mount, 'msg')
        .map((q) => `${hexKey(q.key)} ${left(q.id, 10)} ${owner(q.uid)} ${left(oct(q.perms), 10)} ${msgBytes(unit, q.cbytes)} ${left(q.qnum, 12)}\n`)
        .join('')}`;
  }
}

const msgBytes = (unit: SizeUnit, n: number): string => (unit === 'human' ? printSize(unit, null, n, '      ', 6) : printSize(unit, null, n, null, -12));
const shmBytes = (unit: SizeUnit, n: number): string => (unit === 'human' ? printSize(unit, null, n, '    ', 6) : printSize(unit, null, n, null, -10));

const U64_MAX = (1n << 64n) - 1n;

/** a * b as C's uint64_t, clamped as ipcs clamps an overflow: to the largest multiple of b. */
function u64Times(a: bigint, b: bigint): bigint {
  const p = (a * b) & U64_MAX;
  return a !== 0n && p / a !== b ? U64_MAX - (U64_MAX % b) : p;
}

function shmSection(mount: string, format: Format, unit: SizeUnit, limits: IpcsLimits | null): string {
  switch (format) {
    case 'limits': {
      const l = limits!;
      let out = `------ Shared Memory Limits --------\nmax number of segments = ${l.shmmni}\n`;
      out += printSize(unit === 'default' ? 'kb' : unit, 'max seg size', l.shmmax, '\n', 0);
      if (unit === 'kb' || unit === 'default') out += printSize('default', 'max total shared memory (kbytes)', u64Times(l.shmall, BigInt(l.pageSize / 1024)), '\n', 0);
      else out += printSize(unit, 'max total shared memory', u64Times(l.shmall, BigInt(l.pageSize)), '\n', 0);
      return out + printSize(unit === 'default' ? 'bytes' : unit, 'min seg size', l.shmmin, '\n', 0);
    }
    case 'status': {
      const segs = listSysvBrief(mount, 'shm');
      const pageSize = ipcsLimits(mount).pageSize;
      const pages = segs.reduce((a, s) => a + Math.ceil(s.size / pageSize), 0);
      // resident: the pages each segment's memory holds (sysvipc/shm's rss, as the kernel's shm_rss);
      // a listing without that column (status files only) counts every page
      const rss = segs.map((s) => s.fields.get('rss')?.[0]);
      const resident = rss.every((r) => r !== undefined) ? rss.reduce((a, r) => a + Math.ceil(Number(r) / pageSize), 0) : pages;
      return `------ Shared Memory Status --------\nsegments allocated ${segs.length}\npages allocated ${pages}\npages resident  ${resident}\npages swapped   0\nSwap performance: 0 attempts\t 0 successes\n`;
    }
    case 'creator':
      return `------ Shared Memory Segment Creators/Owners --------\n${creatorHeader('shmid')}${listSysvBrief(mount, 'shm')
        .map((s) => permsRow(s.id, s.perms, s.cuid, s.cgid, s.uid, s.gid))
        .join('')}`;
    case 'time':
      return `------ Shared Memory Attach/Detach/Change Times --------\n${left('shmid', 10)} ${left('owner', 10)} ${left('attached', 20)} ${left('detached', 20)} ${left('changed', 20)}\n${listSysvBrief(mount, 'shm')
        .map((s) => `${left(s.id, 10)} ${owner(s.uid)} ${shortTime(s.atime)} ${shortTime(s.dtime)} ${shortTime(s.ctime)}\n`)
        .join('')}`;
    case 'pid':
      return `------ Shared Memory Creator/Last-op PIDs --------\n${['shmid', 'owner', 'cpid', 'lpid'].map((h) => left(h, 10)).join(' ')}\n${listSysvBrief(mount, 'shm')
        .map((s) => `${left(s.id, 10)} ${owner(s.uid)} ${left(s.cpid, 10)} ${left(s.lpid, 10)}\n`)
        .join('')}`;
    case 'default':
      return `------ Shared Memory Segments --------\n${['key', 'shmid', 'owner', 'perms', unit === 'human' ? 'size' : 'bytes', 'nattch'].map((h) => left(h, 10)).join(' ')} ${left('status', 12)}\n${listSysvBrief(mount, 'shm')
        .map((s) => `${hexKey(s.key)} ${left(s.id, 10)} ${owner(s.uid)} ${left(oct(s.perms), 10)} ${shmBytes(unit, s.size)} ${left(s.nattch, 10)} ${left(s.dest ? 'dest' : ' ', 6)} ${left(s.locked ? 'locked' : ' ', 6)}\n`)
        .join('')}`;
  }
}

function semSection(mount: string, format: Format, limits: IpcsLimits | null): string {
  switch (format) {
    case 'limits': {
      const l = limits!;
      return `------ Semaphore Limits --------\nmax number of arrays = ${l.semmni}\nmax semaphores per array = ${l.semmsl}\nmax semaphores system wide = ${l.semmns}\nmax ops per semop call = ${l.semopm}\nsemaphore max value = ${l.semvmx}\n`;
    }
    case 'status': {
      const sets = listSysvBrief(mount, 'sem');
      return `------ Semaphore Status --------\nused arrays = ${sets.length}\nallocated semaphores = ${sets.reduce((a, s) => a + s.nsems, 0)}\n`;
    }
    case 'creator':
      return `------ Semaphore Arrays Creators/Owners --------\n${creatorHeader('semid')}${listSysvBrief(mount, 'sem')
        .map((s) => permsRow(s.id, s.perms, s.cuid, s.cgid, s.uid, s.gid))
        .join('')}`;
    case 'time':
      return `------ Semaphore Operation/Change Times --------\n${left('semid', 8)} ${left('owner', 10)} ${left('last-op', 26, 24)} ${left('last-changed', 26, 24)}\n${listSysvBrief(mount, 'sem')
        .map((s) => `${left(s.id, 8)} ${owner(s.uid)}  ${longTime(s.otime)} ${longTime(s.ctime)}\n`)
        .join('')}`;
    case 'pid':
      // util-linux shows no pid view of semaphore arrays: not even a header
      return '';
    case 'default':
      return `------ Semaphore Arrays --------\n${['key', 'semid', 'owner', 'perms', 'nsems'].map((h) => left(h, 10)).join(' ')}\n${listSysvBrief(mount, 'sem')
        .map((s) => `${hexKey(s.key)} ${left(s.id, 10)} ${owner(s.uid)} ${left(oct(s.perms), 10)} ${left(s.nsems, 10)}\n`)
        .join('')}`;
  }
}

// ---- System V details (-i)

function detail(mount: string, r: Request): number {
  const id = r.id!;
  const kind = r.msg ? 'msg' : r.shm ? 'shm' : 'sem';
  const d = sysvDetail(mount, kind, id);
  if (d) {
    process.stdout.write(d.kind === 'msg' ? msgDetail(d, r.unit) : d.kind === 'shm' ? shmDetail(d, r.unit) : semDetail(d));
    return 0;
  }
  // a status we may not read, of an object the table lists: what ipcs shows of a kernel object
  // whose IPC_STAT or GETVAL is refused
  const row = readSysvTable(mount, kind)?.find((o) => o.id === id);
  if (row?.kind === 'msg') process.stdout.write(msgDetail(row, r.unit));
  else if (row?.kind === 'shm') process.stdout.write(shmDetail(row, r.unit));
  else if (row?.kind === 'sem') {
    process.stderr.write(`${PROG}: semctl(GETVAL) failed: Permission denied\n`);
    return 1;
  } else process.stderr.write(`${PROG}: id ${id} not found\n`);
  return 0;
}

function msgDetail(q: SysvMsg, unit: SizeUnit): string {
  return (
    `\nMessage Queue msqid=${q.id}\n` +
    `uid=${q.uid}\tgid=${q.gid}\tcuid=${q.cuid}\tcgid=${q.cgid}\tmode=${altOct(q.perms)}\n` +
    printSize(unit, unit === 'human' ? 'csize=' : 'cbytes=', q.cbytes, '\t', 0) +
    printSize(unit, unit === 'human' ? 'qsize=' : 'qbytes=', q.qbytes, '\t', 0) +
    `qnum=${q.qnum}\tlspid=${q.lspid}\tlrpid=${q.lrpid}\n` +
    `send_time=${longTime(q.stime)}\nrcv_time=${longTime(q.rtime)}\nchange_time=${longTime(q.ctime)}\n\n`
  );
}

function shmDetail(s: SysvShm, unit: SizeUnit): string {
  // SHM_DEST and SHM_LOCKED are mode bits in struct ipc_perm
  const mode = s.perms | (s.dest ? 0o1000 : 0) | (s.locked ? 0o2000 : 0);
  return (
    `\nShared memory Segment shmid=${s.id}\n` +
    `uid=${s.uid}\tgid=${s.gid}\tcuid=${s.cuid}\tcgid=${s.cgid}\n` +
    `mode=${altOct(mode)}\taccess_perms=${altOct(s.perms)}\n` +
    printSize(unit, unit === 'human' ? 'size=' : 'bytes=', s.size, '\t', 0) +
    `lpid=${s.lpid}\tcpid=${s.cpid}\tnattch=${s.nattch}\n` +
    `att_time=${longTime(s.atime)}\ndet_time=${longTime(s.dtime)}\nchange_time=${left(ctime(s.ctime), 26, 24)}\n\n`
  );
}

function semDetail(s: SysvSemDetail): string {
  let out =
    `\nSemaphore Array semid=${s.id}\n` +
    `uid=${s.uid}\t gid=${s.gid}\t cuid=${s.cuid}\t cgid=${s.cgid}\n` +
    `mode=${altOct(s.perms)}, access_perms=${altOct(s.perms)}\n` +
    `nsems = ${s.nsems}\notime = ${longTime(s.otime)}\nctime = ${left(ctime(s.ctime), 26, 24)}\n` +
    `${['semnum', 'value', 'ncount', 'zcount', 'pid'].map((h) => left(h, 10)).join(' ')}\n`;
  s.sems.forEach((e, i) => (out += `${[i, e.value, e.ncount, e.zcount, e.pid].map((v) => left(v, 10)).join(' ')}\n`));
  return `${out}\n`;
}

// ---- POSIX (ipcfs's own views, in util-linux's style: docs/protocol.md)

const NAME_WIDTH = 20;

function posixMqSection(mount: string, format: Format, unit: SizeUnit, limits: IpcsLimits | null): string {
  switch (format) {
    case 'limits': {
      const l = limits!;
      const u = unit === 'default' ? 'bytes' : unit;
      return (
        `------ POSIX Message Queues Limits --------\nmax queues system wide = ${l.queuesMax}\nmax messages per queue = ${l.msgMax}\n` +
        printSize(u, 'max size of message', l.msgsizeMax, '\n', 0) +
        `default messages per queue = ${l.msgDefault}\n` +
        printSize(u, 'default size of message', l.msgsizeDefault, '\n', 0)
      );
    }
    case 'status': {
      const qs = listPosix(mount, 'mq');
      const sum = (f: (q: PosixMq) => number): number => qs.reduce((a, q) => a + f(q), 0);
      return `------ POSIX Message Queues Status --------\nqueues = ${qs.length}\nmessages = ${sum((q) => q.messages)}\n${printSize(unit, 'used space', sum((q) => q.bytes), unit === 'default' ? ' bytes\n' : '\n', 0)}`;
    }
    case 'creator':
      return `------ POSIX Message Queues Creators/Owners --------\n${posixCreatorHeader()}${listPosix(mount, 'mq')
        .map((q) => posixPermsRow(q.name, q.perms, q.uid, q.gid, q.uid, q.gid))
        .join('')}`;
    case 'time':
      return `------ POSIX Message Queues Change Times --------\n${left('name', NAME_WIDTH)} ${left('owner', 10)} ${left('changed', 20)}\n${listPosix(mount, 'mq')
        .map((q) => `${left(q.name, NAME_WIDTH)} ${owner(q.uid)} ${shortTime(q.mtime)}\n`)
        .join('')}`;
    case 'pid': {
      const pids = (p: number[]): string => (p.length ? p.join(',') : '-');
      return `------ POSIX Message Queues Waiting PIDs --------\n${left('name', NAME_WIDTH)} ${left('owner', 10)} ${left('senders', 20)} ${left('receivers', 20)}\n${listPosix(mount, 'mq')
        .map((q) => `${left(q.name, NAME_WIDTH)} ${owner(q.uid)} ${left(pids(q.senders), 20)} ${left(pids(q.receivers), 20)}\n`)
        .join('')}`;
    }
    case 'default':
      return `------ POSIX Message Queues --------\n${left('name', NAME_WIDTH)} ${left('owner', 10)} ${left('perms', 10)} ${left(unit === 'human' ? 'size' : 'used-bytes', 12)} ${left('messages', 12)}\n${listPosix(mount, 'mq')
        .map((q) => `${left(q.name, NAME_WIDTH)} ${owner(q.uid)} ${left(oct(q.perms), 10)} ${msgBytes(unit, q.bytes)} ${left(q.messages, 12)}\n`)
        .join('')}`;
  }
}

function posixShmSection(mount: string, format: Format, unit: SizeUnit): string {
  switch (format) {
    case 'limits':
    case 'pid':
      // no limit of its own (the mount's memory quotas: limits/ipcfs) and no pids kept
      return '';
    case 'status': {
      const segs = listPosix(mount, 'shm');
      return `------ POSIX Shared Memory Status --------\nsegments = ${segs.length}\n${printSize(unit, 'used space', segs.reduce((a, s) => a + s.size, 0), unit === 'default' ? ' bytes\n' : '\n', 0)}`;
    }
    case 'creator':
      return `------ POSIX Shared Memory Creators/Owners --------\n${posixCreatorHeader()}${listPosix(mount, 'shm')
        .map((s: PosixShm) => posixPermsRow(s.name, s.perms, s.cuid, s.cgid, s.uid, s.gid))
        .join('')}`;
    case 'time':
      return `------ POSIX Shared Memory Change Times --------\n${left('name', NAME_WIDTH)} ${left('owner', 10)} ${left('changed', 20)}\n${listPosix(mount, 'shm')
        .map((s) => `${left(s.name, NAME_WIDTH)} ${owner(s.uid)} ${shortTime(s.mtime)}\n`)
        .join('')}`;
    case 'default':
      return `------ POSIX Shared Memory Segments --------\n${left('name', NAME_WIDTH)} ${left('owner', 10)} ${left('perms', 10)} ${left(unit === 'human' ? 'size' : 'bytes', 10)} ${left('nattch', 10)}\n${listPosix(mount, 'shm')
        .map((s) => `${left(s.name, NAME_WIDTH)} ${owner(s.uid)} ${left(oct(s.perms), 10)} ${shmBytes(unit, s.size)} ${left(s.opens, 10)}\n`)
        .join('')}`;
  }
}

function posixSemSection(mount: string, format: Format, limits: IpcsLimits | null): string {
  switch (format) {
    case 'limits':
      return `------ POSIX Semaphore Limits --------\nsemaphore max value = ${limits!.semValueMax}\n`;
    case 'status':
      return `------ POSIX Semaphore Status --------\nsemaphores = ${listPosix(mount, 'sem').length}\n`;
    case 'creator':
      return `------ POSIX Semaphores Creators/Owners --------\n${posixCreatorHeader()}${listPosix(mount, 'sem')
        .map((s: PosixSem) => posixPermsRow(s.name, s.perms, s.cuid, s.cgid, s.uid, s.gid))
        .join('')}`;
    case 'time':
      return `------ POSIX Semaphore Operation/Change Times --------\n${left('name', NAME_WIDTH)} ${left('owner', 10)} ${left('last-op', 26)} ${left('last-changed', 26)}\n${listPosix(mount, 'sem')
        .map((s) => `${left(s.name, NAME_WIDTH)} ${owner(s.uid)} ${longTime(s.otime)} ${longTime(s.ctime)}\n`)
        .join('')}`;
    case 'pid':
      return `------ POSIX Semaphores Last-op PIDs --------\n${left('name', NAME_WIDTH)} ${left('owner', 10)} ${left('pid', 10)}\n${listPosix(mount, 'sem')
        .map((s) => `${left(s.name, NAME_WIDTH)} ${owner(s.uid)} ${left(s.pid, 10)}\n`)
        .join('')}`;
    case 'default':
      return `------ POSIX Semaphores --------\n${left('name', NAME_WIDTH)} ${left('owner', 10)} ${left('perms', 10)} ${left('value', 10)}\n${listPosix(mount, 'sem')
        .map((s) => `${left(s.name, NAME_WIDTH)} ${owner(s.uid)} ${left(oct(s.perms), 10)} ${left(s.value, 10)}\n`)
        .join('')}`;
  }
}

const posixCreatorHeader = (): string => `${left('name', NAME_WIDTH)} ${['perms', 'cuid', 'cgid', 'uid', 'gid'].map((h) => left(h, 10)).join(' ')}\n`;

function posixPermsRow(name: string, perms: number, cuid: number, cgid: number, uid: number, gid: number): string {
  return `${left(name, NAME_WIDTH)} ${permsRow(0, perms, cuid, cgid, uid, gid).slice(11)}`;
}
