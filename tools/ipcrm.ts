/**
 * `ipcfs ipcrm`: util-linux 2.41's ipcrm over an ipcfs mount (docs/protocol.md, "ipcrm and
 * ipcmk"). Its options, messages and exit statuses are util-linux's, so that a script written
 * for ipcrm works unchanged; removing is an unlink on the mount: sysv/ID of the kind (a key is
 * first resolved through sysv/by-key/0xKKKKKKKK, and the object is removed, not the link) or
 * named/NAME. The errno of the unlink picks util-linux's message as ipcrm's does for IPC_RMID's.
 */
import { accessSync, constants, readlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { hexKey } from '../fs/kinds/tokens.js';
import { listPosixNames, listSysvIds, type PosixKind } from './ipc-objects.js';
import { getoptInOrder, tryHelp, usageFailure, type LongOption } from './getopt.js';
import { MOUNT_OPTION, ToolExit, errWith, errnoOf, errx, mountOption, numberFailure, parseKey, parseS32, strtoul, toInt32, versionLine, warnx } from './ipc-args.js';
import { mountFrom, requireMount } from './mount-check.js';

const PROG = 'ipcrm';

type SysvType = 'shm' | 'msg' | 'sem';
type PosixType = 'pshm' | 'pmsg' | 'psem';

/** Each System V kind: its directory on the mount and ipcrm's word for it (-v). */
const SYSV: Record<SysvType, { dir: string; what: string }> = {
  shm: { dir: 'shared-memory/sysv', what: 'shared memory segment' },
  msg: { dir: 'mqueue/sysv', what: 'message queue' },
  sem: { dir: 'semaphores/sysv', what: 'semaphore' },
};

/** Each POSIX kind: its directory, ipcrm's word for it, and the errno glibc's unlink call gives a malformed name. */
const POSIX: Record<PosixType, { dir: string; what: string; badName: string; reader: PosixKind }> = {
  pshm: { dir: 'shared-memory/named', what: 'POSIX shared memory', badName: 'EINVAL', reader: 'shm' },
  pmsg: { dir: 'mqueue/named', what: 'POSIX message queue', badName: 'EACCES', reader: 'mq' },
  psem: { dir: 'semaphores/named', what: 'POSIX semaphore', badName: 'ENOENT', reader: 'sem' },
};

/** -a's order, as util-linux's remove_all. */
const ALL_ORDER: (SysvType | PosixType)[] = ['shm', 'pshm', 'sem', 'psem', 'msg', 'pmsg'];

const LONGOPTS: LongOption[] = [
  { name: 'shmem-id', hasArg: 'required', key: 'm' },
  { name: 'shmem-key', hasArg: 'required', key: 'M' },
  { name: 'posix-shmem', hasArg: 'required', key: 'pshm' },
  { name: 'queue-id', hasArg: 'required', key: 'q' },
  { name: 'queue-key', hasArg: 'required', key: 'Q' },
  { name: 'posix-mqueue', hasArg: 'required', key: 'pmsg' },
  { name: 'semaphore-id', hasArg: 'required', key: 's' },
  { name: 'semaphore-key', hasArg: 'required', key: 'S' },
  { name: 'posix-semaphore', hasArg: 'required', key: 'psem' },
  { name: 'all', hasArg: 'optional', key: 'a' },
  { name: 'verbose', hasArg: 'none', key: 'v' },
  { name: 'version', hasArg: 'none', key: 'V' },
  { name: 'help', hasArg: 'none', key: 'h' },
  MOUNT_OPTION,
];

const USAGE = `
Usage:
 ${PROG} [options]
 ${PROG} shm|msg|sem <id>...

Remove certain IPC resources (of an ipcfs mount).

Options:
 -m, --shmem-id <id>        remove shared memory segment by id
 -M, --shmem-key <key>      remove shared memory segment by key
     --posix-shmem <name>   remove POSIX shared memory segment by name
 -q, --queue-id <id>        remove message queue by id
 -Q, --queue-key <key>      remove message queue by key
     --posix-mqueue <name>  remove POSIX message queue by name
 -s, --semaphore-id <id>    remove semaphore by id
 -S, --semaphore-key <key>  remove semaphore by key
     --posix-semaphore <name>
                            remove POSIX semaphore by name
 -a, --all[=shm|pshm|msg|pmsg|sem|psem]
                            remove all (in the specified category)
 -v, --verbose              explain what is being done
     --mount <dir>          the ipcfs mount (default: $IPCFS_MOUNT, else /mnt/ipc)

 -h, --help                 display this help
 -V, --version              display version

For more details see ipcrm(1) and ipcfs's docs/protocol.md.
`;

/** One run: the mount (checked before its first use) and -v. */
class Remover {
  verbose = false;
  private checked = false;
  constructor(private readonly mount: string) {}

  /** The mount's path, once it is known to be a live ipcfs mount (else one line, exit 1). */
  private base(): string {
    if (!this.checked) {
      const status = requireMount(this.mount, PROG);
      if (status !== null) throw new ToolExit(status);
      this.checked = true;
    }
    return this.mount;
  }

  private say(line: string): void {
    if (this.verbose) process.stdout.write(`${line}\n`);
  }

  /** util-linux's remove_id: 0 when removed, 1 after its warning; other errnos end the run. */
  removeId(type: SysvType, isKey: boolean, id: number): number {
    const kind = SYSV[type];
    const path = join(this.base(), kind.dir, String(id));
    this.say(`removing ${kind.what} id \`${id}'`);
    try {
      unlinkSync(path);
      return 0;
    } catch (err) {
      const errno = errnoOf(err);
      const on = isKey ? 'key' : 'id';
      let message: string;
      if (errno === 'EACCES' || errno === 'EPERM') message = `permission denied for ${on}`;
      // no such file: IPC_RMID's EINVAL (no object has that id)
      else if (errno === 'ENOENT' || errno === 'EINVAL') message = `invalid ${on}`;
      else if (errno === 'EIDRM') message = `already removed ${on}`;
      else errWith(PROG, `${on} failed`, errno);
      warnx(PROG, `${message} (${id})`);
      return 1;
    }
  }

  /**
   * util-linux's key_to_id: the object's id through its by-key link, -1 after a warning. Key 0
   * (IPC_PRIVATE) names no object: refused.
   */
  keyToId(type: SysvType, text: string): number {
    let key: number;
    try {
      key = parseKey(text);
    } catch (err) {
      numberFailure(PROG, 'failed to parse argument', text, err);
    }
    if (key === 0) {
      warnx(PROG, `illegal key (${text})`);
      return -1;
    }
    const link = join(this.base(), SYSV[type].dir, 'by-key', hexKey(key));
    try {
      // by-key/0xKKKKKKKK -> ../ID
      return Number(/^\.\.\/(\d+)$/.exec(readlinkSync(link))?.[1] ?? NaN);
    } catch (err) {
      const errno = errnoOf(err);
      let message: string;
      if (errno === 'EACCES') message = 'permission denied for key';
      else if (errno === 'EIDRM') message = 'already removed key';
      else if (errno === 'ENOENT') message = 'invalid key';
      else errWith(PROG, 'key failed', errno);
      warnx(PROG, `${message} (${text})`);
      return -1;
    }
  }

  /**
   * util-linux's remove_name (sem_unlink, mq_unlink, shm_unlink) as an unlink of named/NAME.
   * glibc's rules for the name first: sem and shm names lose their leading slashes, an mq name
   * must start with one; an empty name (or a "." or ".." part, which could leave named/) gets the
   * errno the call would give. A '/' inside is a subdirectory of named/ (ipcfs's names).
   */
  removeName(type: PosixType, name: string): number {
    const kind = POSIX[type];
    const base = this.base();
    this.say(`removing ${kind.what} \`${name}'`);
    let errno: string | null = null;
    let rel = '';
    if (type === 'pmsg' && !name.startsWith('/')) errno = 'EINVAL';
    else {
      rel = name.replace(/^\/+/, '');
      if (rel === '' || rel.split('/').some((part) => part === '' || part === '.' || part === '..')) errno = kind.badName;
    }
    if (errno === null) {
      try {
        unlinkSync(join(base, kind.dir, rel));
        return 0;
      } catch (err) {
        errno = errnoOf(err);
      }
    }
    if (errno === 'EACCES' || errno === 'EPERM') warnx(PROG, `permission denied for name \`${name}'`);
    else if (errno === 'ENOENT') warnx(PROG, `name \`${name}' not found`);
    else if (errno === 'ENAMETOOLONG') warnx(PROG, `name \`${name}' too long`);
    else errWith(PROG, 'name failed', errno);
    return 1;
  }

  /**
   * util-linux's remove_all: every object of the kinds, in its order. As the kernel's SHM_STAT,
   * SEM_STAT and MSG_STAT need read permission, System V objects the caller cannot read are
   * passed over; POSIX objects are all tried.
   */
  removeAll(what: SysvType | PosixType | 'all'): number {
    let ret = 0;
    for (const type of ALL_ORDER) {
      if (what !== 'all' && what !== type) continue;
      if (type in SYSV) {
        const t = type as SysvType;
        for (const id of this.sysvIds(t)) ret |= this.removeId(t, false, id);
      } else {
        const t = type as PosixType;
        for (const name of this.posixNames(t)) ret |= this.removeName(t, name);
      }
    }
    return ret;
  }

  /** The ids of a kind (tools/ipc-objects.ts), those the caller may read. */
  private sysvIds(type: SysvType): number[] {
    let ids: number[];
    try {
      ids = listSysvIds(this.base(), type);
    } catch {
      errx(PROG, `kernel not configured for ${type === 'shm' ? 'shared memory' : type === 'sem' ? 'semaphores' : 'message queues'}`);
    }
    const dir = join(this.base(), SYSV[type].dir);
    return ids.filter((id) => {
      try {
        accessSync(join(dir, String(id)), constants.R_OK);
        return true;
      } catch {
        return false;
      }
    });
  }

  /** Every object of a POSIX kind as its name (/NAME, /app/NAME: subdirectories walked). */
  private posixNames(type: PosixType): string[] {
    try {
      return listPosixNames(this.base(), POSIX[type].reader);
    } catch (err) {
      // util-linux removes nothing of a kind it cannot list; a mount that fails otherwise is said
      const errno = errnoOf(err);
      if (errno === 'ENOENT') return [];
      errWith(PROG, 'name failed', errno);
    }
  }
}

/**
 * The legacy form `ipcrm shm|msg|sem ID...` (util-linux's deprecated_main): ids read by strtoul
 * (base 10, so "" is 0 and "-1" is -1), a bad one warned about and the rest still removed, then
 * "resource(s) deleted" when all went. `--mount DIR` may come before the type word.
 */
function legacy(argv: string[]): number | null {
  let mount: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    if (argv[i] === '--mount' && i + 1 < argv.length) mount = argv[++i];
    else if (argv[i]!.startsWith('--mount=')) mount = argv[i]!.slice('--mount='.length);
    else break;
  }
  const word = argv[i];
  if (word !== 'shm' && word !== 'msg' && word !== 'sem') return null;
  const ids = argv.slice(i + 1);
  if (ids.length === 0) {
    warnx(PROG, 'not enough arguments');
    process.stderr.write(`${tryHelp(PROG)}\n`);
    return 1;
  }
  const remover = new Remover(mountFrom(mount));
  let errors = 0;
  for (const text of ids) {
    const n = strtoul(text, 10);
    if (n.erange || n.end !== text.length) {
      warnx(PROG, `invalid id: ${text}`);
      errors++;
    } else if (remover.removeId(word, false, toInt32(n.value))) {
      errors++;
    }
  }
  if (errors) return 1;
  process.stdout.write('resource(s) deleted\n');
  return 0;
}

const ALL_TYPES = new Set(['shm', 'pshm', 'msg', 'pmsg', 'sem', 'psem']);

function run(argv: string[]): number {
  // util-linux 2.41: no arguments is a usage error (2.38 did nothing and exited 0)
  if (argv.length === 0) {
    warnx(PROG, 'bad usage');
    process.stderr.write(`${tryHelp(PROG)}\n`);
    return 1;
  }
  const old = legacy(argv);
  if (old !== null) return old;

  const parsed = getoptInOrder(PROG, argv, 'q:m:s:Q:M:S:a::vhV', LONGOPTS);
  const remover = new Remover(mountFrom(mountOption(parsed.options)));
  let ret = 0;
  let removeAll: SysvType | PosixType | 'all' | null = null;
  const byId = { m: 'shm', q: 'msg', s: 'sem' } as const;
  const byKey = { M: 'shm', Q: 'msg', S: 'sem' } as const;
  for (const { key, arg: given } of parsed.options) {
    const arg = given ?? '';
    if (key in byKey) {
      const type = byKey[key as keyof typeof byKey];
      const id = remover.keyToId(type, arg);
      if (id < 0) ret++;
      else if (remover.removeId(type, true, id)) ret++;
    } else if (key in byId) {
      let id: number;
      try {
        id = parseS32(arg);
      } catch (err) {
        numberFailure(PROG, 'failed to parse argument', arg, err);
      }
      if (remover.removeId(byId[key as keyof typeof byId], false, id)) ret++;
    } else if (key === 'pshm' || key === 'pmsg' || key === 'psem') {
      if (remover.removeName(key, arg)) ret++;
    } else if (key === 'a') {
      if (given !== undefined && !ALL_TYPES.has(given)) errx(PROG, `unknown argument: ${given}`);
      removeAll = given === undefined ? 'all' : (given as SysvType | PosixType);
    } else if (key === 'v') {
      remover.verbose = true;
    } else if (key === 'h') {
      process.stdout.write(USAGE);
      return 0;
    } else if (key === 'V') {
      process.stdout.write(versionLine(PROG));
      return 0;
    }
  }
  if (parsed.error) return usageFailure(PROG, parsed.error);
  if (removeAll !== null && remover.removeAll(removeAll)) ret++;
  if (parsed.operands.length) {
    warnx(PROG, `unknown argument: ${parsed.operands[0]}`);
    process.stderr.write(`${tryHelp(PROG)}\n`);
    return 1;
  }
  return ret === 0 ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  try {
    return run(argv);
  } catch (err) {
    if (err instanceof ToolExit) return err.status;
    throw err;
  }
}
