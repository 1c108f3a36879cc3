/**
 * `ipcfs ipcmk`: util-linux 2.41's ipcmk over an ipcfs mount (docs/protocol.md, "ipcrm and
 * ipcmk"). Options, messages and exit statuses are util-linux's; each object is made through its
 * kind's `.new` clone file (cli-io.ts cloneCreate), as `ipcfs sem|mq|shm create` do.
 *
 * Keys: util-linux takes 4 random bytes (getrandom) for each System V object's key and creates
 * with IPC_CREAT (no IPC_EXCL unless the mode's 02000 bit asks): so does this, with Node's CSPRNG;
 * the one-in-2^32 key 0 is IPC_PRIVATE here as in the kernel.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { cloneCreate } from './cli-io.js';
import { getoptInOrder, usageFailure, tryHelp, type LongOption } from './getopt.js';
import { MOUNT_OPTION, ToolExit, errWith, errnoOf, mountOption, numberFailure, parseMode, parseS32, parseSize, sizeFailure, versionLine, warnx } from './ipc-args.js';
import { mountFrom, requireMount } from './mount-check.js';

const PROG = 'ipcmk';

const LONGOPTS: LongOption[] = [
  { name: 'shmem', hasArg: 'required', key: 'M' },
  { name: 'posix-shmem', hasArg: 'required', key: 'm' },
  { name: 'semaphore', hasArg: 'required', key: 'S' },
  { name: 'posix-semaphore', hasArg: 'none', key: 's' },
  { name: 'queue', hasArg: 'none', key: 'Q' },
  { name: 'posix-mqueue', hasArg: 'none', key: 'q' },
  { name: 'mode', hasArg: 'required', key: 'p' },
  { name: 'name', hasArg: 'required', key: 'n' },
  { name: 'version', hasArg: 'none', key: 'V' },
  { name: 'help', hasArg: 'none', key: 'h' },
  MOUNT_OPTION,
];

const USAGE = `
Usage:
 ${PROG} [options]

Create various IPC resources (on an ipcfs mount).

Options:
 -M, --shmem <size>       create shared memory segment of size <size>
 -m, --posix-shmem <size> create POSIX shared memory segment of size <size>
 -S, --semaphore <number> create semaphore array with <number> elements
 -s, --posix-semaphore    create POSIX semaphore
 -Q, --queue              create message queue
 -q, --posix-mqueue       create POSIX message queue
 -p, --mode <mode>        permission for the resource (default is 0644)
 -n, --name <name>        name of the POSIX resource
     --mount <dir>        the ipcfs mount (default: $IPCFS_MOUNT, else /mnt/ipc)

 -h, --help               display this help
 -V, --version            display version

Arguments:
 <size> arguments may be followed by the suffixes for
   GiB, TiB, PiB, EiB, ZiB, and YiB (the "iB" is optional)

 -n, --name <name> option is required for POSIX IPC

For more details see ipcmk(1) and ipcfs's docs/protocol.md.
`;

const IPC_EXCL = 0o2000;

/** A random key_t as util-linux's ul_random_get_bytes gives one; 0 is IPC_PRIVATE. */
function randomKey(): string {
  const key = randomBytes(4).readInt32LE(0);
  return key === 0 ? 'private' : String(key);
}

/** The process's umask (shm_open, mq_open and sem_open apply it; System V's gets do not). */
function umask(): number {
  const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? parseInt(m[1]!, 8) : 0o022;
}

/** mode= and the flags of a get from ipcmk's permission int: low 9 bits, IPC_EXCL if asked. */
const sysvFlags = (permission: number): string => `mode=${(permission & 0o777).toString(8)} creat${permission & IPC_EXCL ? ' excl' : ''}`;

/** An errno standing for what glibc's call would fail with before reaching the file system. */
class NameRefused extends Error {
  constructor(readonly errno: string) {
    super(errno);
  }
}

/**
 * A POSIX name as glibc takes it: shm_open and sem_open drop leading slashes (EINVAL when nothing
 * is left), mq_open wants one (EINVAL without). A '/' further in is a subdirectory of named/ on
 * ipcfs (glibc would refuse it); "." and ".." parts are refused (EINVAL).
 */
function posixRel(name: string, needsSlash: boolean): string {
  if (needsSlash && !name.startsWith('/')) throw new NameRefused('EINVAL');
  const rel = name.replace(/^\/+/, '');
  if (rel === '' || rel.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new NameRefused('EINVAL');
  return rel;
}

interface Asked {
  shm: boolean;
  pshm: boolean;
  msg: boolean;
  pmsg: boolean;
  sem: boolean;
  psem: boolean;
}

function run(argv: string[]): number {
  let permission = 0o644;
  let name: string | undefined;
  let size = 0n;
  let nsems = 0;
  const ask: Asked = { shm: false, pshm: false, msg: false, pmsg: false, sem: false, psem: false };
  const parsed = getoptInOrder(PROG, argv, 'hM:m:QqS:sp:n:Vh', LONGOPTS);
  for (const { key, arg = '' } of parsed.options) {
    switch (key) {
      case 'M':
      case 'm':
        try {
          size = parseSize(arg);
        } catch (err) {
          sizeFailure(PROG, 'failed to parse size', arg, err);
        }
        ask[key === 'M' ? 'shm' : 'pshm'] = true;
        break;
      case 'Q':
        ask.msg = true;
        break;
      case 'q':
        ask.pmsg = true;
        break;
      case 'S':
        try {
          nsems = parseS32(arg);
        } catch (err) {
          numberFailure(PROG, 'failed to parse elements', arg, err);
        }
        ask.sem = true;
        break;
      case 's':
        ask.psem = true;
        break;
      case 'p':
        permission = parseMode(PROG, arg);
        break;
      case 'n':
        name = arg;
        break;
      case 'h':
        process.stdout.write(USAGE);
        return 0;
      case 'V':
        process.stdout.write(versionLine(PROG));
        return 0;
    }
  }
  if (parsed.error) return usageFailure(PROG, parsed.error);
  // util-linux ignores operands
  if (!Object.values(ask).some(Boolean)) {
    warnx(PROG, 'bad usage');
    process.stderr.write(`${tryHelp(PROG)}\n`);
    return 1;
  }
  if ((ask.pshm || ask.pmsg || ask.psem) && name === undefined) {
    warnx(PROG, 'name is required for POSIX IPC');
    process.stderr.write(`${tryHelp(PROG)}\n`);
    return 1;
  }
  const mount = mountFrom(mountOption(parsed.options));
  const status = requireMount(mount, PROG);
  if (status !== null) return status;

  /** One object: what answers, or err(what failed: strerror) and exit 1. */
  const make = (failure: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      if (err instanceof NameRefused) errWith(PROG, failure, err.errno);
      errWith(PROG, failure, errnoOf(err));
    }
  };
  const posixMode = ((permission & 0o777) & ~umask()).toString(8);

  // util-linux's order: shm, POSIX shm, msg, POSIX mq, sem, POSIX sem
  if (ask.shm) {
    make('create share memory failed', () => {
      const id = cloneCreate(join(mount, 'shared-memory', 'sysv', '.new'), `shmget ${randomKey()} ${size} ${sysvFlags(permission)}`);
      process.stdout.write(`Shared memory id: ${id}\n`);
    });
  }
  if (ask.pshm) {
    make('create POSIX shared memory failed', () => {
      const rel = posixRel(name!, false);
      // shm_open(O_RDWR | O_CREAT) opens an existing object as well; ftruncate sets the size either way
      cloneCreate(join(mount, 'shared-memory', 'named', '.new'), `create /${rel} mode=${posixMode}`);
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw Object.assign(new Error('EFBIG'), { code: 'EFBIG' });
      truncateSync(join(mount, 'shared-memory', 'named', rel), Number(size));
      process.stdout.write(`POSIX shared memory name: ${name}\n`);
    });
  }
  if (ask.msg) {
    make('create message queue failed', () => {
      const id = cloneCreate(join(mount, 'mqueue', 'sysv', '.new'), `msgget ${randomKey()} ${sysvFlags(permission)}`);
      process.stdout.write(`Message queue id: ${id}\n`);
    });
  }
  if (ask.pmsg) {
    make('create POSIX message queue failed', () => {
      const rel = posixRel(name!, true);
      cloneCreate(join(mount, 'mqueue', 'named', '.new'), `create /${rel} mode=${posixMode}`);
      process.stdout.write(`POSIX message queue name: ${name}\n`);
    });
  }
  if (ask.sem) {
    make('create semaphore failed', () => {
      const id = cloneCreate(join(mount, 'semaphores', 'sysv', '.new'), `semget ${randomKey()} ${nsems} ${sysvFlags(permission)}`);
      process.stdout.write(`Semaphore id: ${id}\n`);
    });
  }
  if (ask.psem) {
    make('create POSIX semaphore failed', () => {
      const rel = posixRel(name!, false);
      cloneCreate(join(mount, 'semaphores', 'named', '.new'), `create /${rel} value=0 mode=${posixMode}`);
      process.stdout.write(`POSIX semaphore name: ${name}\n`);
    });
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  try {
    return run(argv);
  } catch (err) {
    if (err instanceof ToolExit) return err.status;
    throw err;
  }
}
