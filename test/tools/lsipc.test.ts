/**
 * `ipcfs lsipc` against the system's lsipc (util-linux 2.38.1 here), run at test time. The kernel
 * side runs in a private IPC namespace (unshare --ipc) holding only the objects the test makes
 * there with the system's ipcmk (a 3-semaphore set mode 0640, a 5000-byte segment mode 0600, a
 * queue mode 0644): its ids start at 0 as the fresh mount's do, no other program's objects widen
 * a column, and the objects go with the namespace when its shell exits (nothing to remove by id;
 * nothing can leak if the test fails). The mount holds the same objects made through .new by a
 * short-lived shell (so that, as for ipcmk's, the creator's COMMAND is gone). Normalized: keys
 * (ipcmk picks random ones), clock times (HH:MM[:SS]), and the segment's creator pid.
 * The 2.41-only parts (POSIX kinds, the MQU* rows of --global, --name) have no reference here:
 * their expectations follow 2.41's source and say so.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { shell, text, type Run } from '../helpers/cli.js';
import { CLI, eventually, mountTest, startDaemon, stopDaemon, withDaemon, type Daemon } from '../helpers/mount.js';

const test = mountTest();

/** Every command line compared with the system's lsipc (stdout, stderr and exit status). */
const RUNS: string[][] = [
  ['-s'],
  ['-q'],
  ['-m'],
  ['-s', '-o', 'KEY,ID,PERMS,OWNER,NSEMS,CUID,CUSER,CGID,CGROUP,UID,USER,GID,GROUP'],
  ['-m', '-o', 'SIZE,NATTCH,STATUS,PERMS,KEY,id'],
  ['-q', '-o', '+SEND,RECV,CTIME'],
  ['-s', '-J'],
  ['-q', '-J'],
  ['-m', '-J', '-t'],
  ['-s', '-r'],
  ['-m', '-r', '-t', '--time-format', 'full'],
  ['-q', '-e'],
  ['-m', '-e', '-b'],
  ['-s', '-n', '-t', '--time-format', 'iso'],
  ['-q', '-n'],
  ['-m', '-b'],
  ['-s', '-t'],
  ['-q', '-t', '--time-format=full'],
  ['-m', '-t', '--time-format', 'iso'],
  ['-s', '-i', '0'],
  ['-q', '-i', '0'],
  ['-m', '-i', '0'],
  ['-s', '--id=0', '-J'],
  ['-s', '-l', '-i', '0'],
  ['-s', '-i', '0', '-t'],
  ['-m', '-i', '0', '-o', 'KEY,SIZE,STATUS'],
  ['-s', '-P'],
  ['-m', '-P', '-o', 'PERMS,KEY'],
  ['-s', '--noheadings'],
  ['-m', '-r', '--noheadings'],
  ['-s', '-c'],
  ['-q', '-c'],
  ['-s', '-e', '-y'],
  ['-s', '-i', '99999'],
  // refused command lines: same message, same exit status
  ['-x'],
  ['--bogus'],
  ['-o'],
  ['-J', '-r'],
  ['-s', '-q'],
  ['-s', '-o', 'FOO,KEY'],
  ['-s', '-o', 'KEY,SIZE'],
  ['-s', '-o', 'KEY,'],
  ['-s', '-o', '+,KEY'],
  ['-s', '-o', ''],
  ['-s', '--time-format=foo'],
  ['-s', '-i', 'abc'],
  ['-t'],
  ['-g', '-i', '1'],
  // util-linux acts on the options before a wrong one
  ['-J', '-r', '-x'],
  ['-s', '--time-format=foo', '--bogus'],
  ['-s', '-i', 'abc', '-x'],
  ['-s', '-q', '-o'],
  ['-s', '-x', '-J', '-r'],
  // --global: structure and rows compared (limits and usage are each side's own)
  ['-g', '-r'],
  ['-g', '-s', '-r'],
  ['-g', '-J'],
  ['-r'],
];

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

interface Answer {
  out: string;
  err: string;
  code: number;
}

/** The system's lsipc on each of RUNS, in a private IPC namespace holding the kernel objects. */
async function systemAnswers(): Promise<Answer[]> {
  const d = mkdtempSync(join(tmpdir(), 'lsipc-kernel-'));
  try {
    const lines = ['set -e', 'ipcmk -S 3 -p 0640 >/dev/null', 'ipcmk -M 5000 -p 0600 >/dev/null', 'ipcmk -Q -p 0644 >/dev/null', 'set +e'];
    RUNS.forEach((args, i) => lines.push(`lsipc ${args.map(quote).join(' ')} >${d}/out.${i} 2>${d}/err.${i}; echo $? >${d}/rc.${i}`));
    const r = await shell(['unshare', '--ipc', 'sh', '-c', lines.join('\n')]);
    if (r.code !== 0) throw new Error(`unshare --ipc: ${r.err}`);
    return RUNS.map((_, i) => ({ out: readFileSync(`${d}/out.${i}`, 'utf8'), err: readFileSync(`${d}/err.${i}`, 'utf8'), code: Number(readFileSync(`${d}/rc.${i}`, 'utf8')) }));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

/** Writes one command to FILE's .new from a shell that exits at once; returns the answer. */
async function viaNew(file: string, command: string): Promise<string> {
  const r = await shell(['sh', '-c', 'exec 3<> "$1"; echo "$2" >&3; read id <&3; echo "$id"', 'sh', file, command]);
  if (r.code !== 0) throw new Error(`${command}: ${r.err}`);
  return text(r).trim();
}

const lsipc = (mount: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Run> => shell([process.execPath, CLI, 'lsipc', '--mount', mount, ...args], undefined, env);

let daemon: Daemon;
let kernel: Answer[];
let ours: Answer[];

test.before(async () => {
  daemon = await startDaemon();
  const m = daemon.dir;
  await viaNew(join(m, 'semaphores', 'sysv', '.new'), 'semget 0x1234 3 mode=0640 creat');
  await viaNew(join(m, 'shared-memory', 'sysv', '.new'), 'shmget 0x5678 5000 mode=0600 creat');
  await viaNew(join(m, 'mqueue', 'sysv', '.new'), 'msgget 0x9abc mode=0644 creat');
  const runs = await Promise.all(RUNS.map((args) => lsipc(m, args)));
  ours = runs.map((r) => ({ out: text(r), err: r.err, code: r.code ?? -1 }));
  kernel = await systemAnswers();
});

test.after.always(async () => {
  if (daemon) await stopDaemon(daemon);
});

/** Keys and clock times as placeholders of the same width (alignment is still compared). */
const normalize = (s: string): string => s.replace(/0x[0-9a-f]{8}/g, '0xKKKKKKKK').replace(/\d\d:\d\d(:\d\d)?/g, (m) => m.replace(/\d/g, 'T'));

function answerOf(args: string[]): { kernel: Answer; ours: Answer } {
  const i = RUNS.findIndex((r) => r.join('\0') === args.join('\0'));
  if (i < 0) throw new Error(`not in RUNS: ${args.join(' ')}`);
  return { kernel: kernel[i]!, ours: ours[i]! };
}

/** The segment's creator pid on each side (ipcmk's, the .new writer's). */
function cpids(): { kernel: string; ours: string } {
  const k = /^\s*\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(?:\S+\s+)?\d\d:\d\d\s+(\d+)/m.exec(answerOf(['-m']).kernel.out.split('\n')[1] ?? '');
  const o = /^\s*\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(?:\S+\s+)?\d\d:\d\d\s+(\d+)/m.exec(answerOf(['-m']).ours.out.split('\n')[1] ?? '');
  return { kernel: k?.[1] ?? '?', ours: o?.[1] ?? '?' };
}

/**
 * Same output, the creator pids written as "PID" padded to their width; when the two pids differ in
 * length the padding around them does too, and the lines are compared with blanks collapsed.
 */
function samePids(t: ExecutionContext, args: string[]): void {
  const { kernel: k, ours: o } = answerOf(args);
  const p = cpids();
  const mask = (s: string, pid: string): string => normalize(s).replace(new RegExp(`\\b${pid}\\b`, 'g'), 'P'.repeat(pid.length));
  let a = mask(o.out, p.ours);
  let b = mask(k.out, p.kernel);
  if (p.ours.length !== p.kernel.length) {
    const collapse = (s: string): string => s.replace(/P+/g, 'P').replace(/ +/g, ' ');
    a = collapse(a);
    b = collapse(b);
  }
  t.is(a, b, `lsipc ${args.join(' ')}`);
  t.is(o.err, k.err);
  t.is(o.code, k.code);
}

function same(t: ExecutionContext, args: string[]): void {
  const { kernel: k, ours: o } = answerOf(args);
  t.is(normalize(o.out), normalize(k.out), `stdout of lsipc ${args.join(' ')}`);
  t.is(o.err, k.err, `stderr of lsipc ${args.join(' ')}`);
  t.is(o.code, k.code, `exit status of lsipc ${args.join(' ')}`);
}

test('default columns of -s and -q: byte-identical to the system lsipc', (t) => {
  same(t, ['-s']);
  same(t, ['-q']);
});

test('default columns of -m (with the creator pid and its gone COMMAND)', (t) => {
  samePids(t, ['-m']);
  t.regex(answerOf(['-m']).ours.out, /^KEY +ID +PERMS OWNER SIZE NATTCH STATUS CTIME +CPID LPID COMMAND\n/);
});

test('-o with several columns, case-insensitive names and +LIST', (t) => {
  same(t, ['-s', '-o', 'KEY,ID,PERMS,OWNER,NSEMS,CUID,CUSER,CGID,CGROUP,UID,USER,GID,GROUP']);
  same(t, ['-m', '-o', 'SIZE,NATTCH,STATUS,PERMS,KEY,id']);
  same(t, ['-q', '-o', '+SEND,RECV,CTIME']);
});

test('--json: the same document once parsed (table names, keys, every value a string or null)', (t) => {
  for (const args of [['-s', '-J'], ['-q', '-J'], ['-m', '-J', '-t'], ['-s', '--id=0', '-J']]) {
    const { kernel: k, ours: o } = answerOf(args);
    const pid = cpids();
    const parse = (s: string, p: string): unknown => JSON.parse(normalize(s).replace(new RegExp(`"${p}"`, 'g'), '"PID"'));
    t.deepEqual(parse(o.out, pid.ours), parse(k.out, pid.kernel), args.join(' '));
    t.is(o.code, 0);
  }
  // the text too, where no pid is in it
  same(t, ['-s', '-J']);
  same(t, ['-q', '-J']);
});

test('-r, -e, -n, -y and --noheadings', (t) => {
  same(t, ['-s', '-r']);
  samePids(t, ['-m', '-r', '-t', '--time-format', 'full']);
  same(t, ['-q', '-e']);
  samePids(t, ['-m', '-e', '-b']);
  same(t, ['-s', '-n', '-t', '--time-format', 'iso']);
  same(t, ['-q', '-n']);
  same(t, ['-s', '--noheadings']);
  samePids(t, ['-m', '-r', '--noheadings']);
  same(t, ['-s', '-e', '-y']);
});

test('-b, -t and --time-format', (t) => {
  samePids(t, ['-m', '-b']);
  same(t, ['-s', '-t']);
  same(t, ['-q', '-t', '--time-format=full']);
  samePids(t, ['-m', '-t', '--time-format', 'iso']);
});

test('-c, -P', (t) => {
  same(t, ['-s', '-c']);
  same(t, ['-q', '-c']);
  same(t, ['-s', '-P']);
  same(t, ['-m', '-P', '-o', 'PERMS,KEY']);
});

test('-i ID: the detail view, with the Elements table of a semaphore set', (t) => {
  same(t, ['-s', '-i', '0']);
  same(t, ['-q', '-i', '0']);
  samePids(t, ['-m', '-i', '0']);
  same(t, ['-s', '-l', '-i', '0']);
  same(t, ['-s', '-i', '0', '-t']);
  same(t, ['-m', '-i', '0', '-o', 'KEY,SIZE,STATUS']);
  same(t, ['-s', '-i', '99999']);
  t.regex(answerOf(['-s', '-i', '0']).ours.out, /\nElements:\n\nSEMNUM VALUE NCOUNT ZCOUNT PID COMMAND\n/);
});

test('refused command lines: the same message and exit status', (t) => {
  const bad = RUNS.slice(RUNS.findIndex((r) => r[0] === '-x'), RUNS.findIndex((r) => r.join(' ') === '-g -r'));
  for (const args of bad) {
    same(t, args);
    t.is(answerOf(args).ours.code, 1, args.join(' '));
  }
});

/** Raw --global output as rows of cells (raw escapes the blanks in DESCRIPTION). */
const rawRows = (s: string): string[][] => s.trim().split('\n').map((l) => l.split(' ').map((c) => c.replace(/\\x20/g, ' ')));

test('-g: the same columns and, for the rows util-linux 2.38 has, the same RESOURCE and DESCRIPTION', (t) => {
  // no kind at all is --global over every kind
  for (const args of [['-g', '-r'], ['-g', '-s', '-r'], ['-r']]) {
    const { kernel: k, ours: o } = answerOf(args);
    const kr = rawRows(k.out);
    // 2.41 adds the POSIX queue rows (MQUMNI, MQUMAX, MQUMNB; lsipc.c do_posix_msg_global); 2.38 has none
    const or = rawRows(o.out).filter((r) => !r.some((c) => c.startsWith('MQU')));
    t.deepEqual(or[0], kr[0], 'header');
    const at = kr[0]!.indexOf('RESOURCE');
    t.deepEqual(
      or.slice(1).map((r) => r.slice(at, at + 2)),
      kr.slice(1).map((r) => r.slice(at, at + 2)),
    );
    t.is(o.code, k.code);
  }
  const j = (s: string): { ipclimits: Record<string, string | null>[] } => JSON.parse(s);
  const ok = j(answerOf(['-g', '-J']).ours.out);
  const kk = j(answerOf(['-g', '-J']).kernel.out);
  t.deepEqual(Object.keys(ok), ['ipclimits']);
  t.deepEqual(Object.keys(ok.ipclimits[0]!), Object.keys(kk.ipclimits[0]!));
  t.deepEqual(
    ok.ipclimits.filter((r) => r.resource!.startsWith('MQU')).map((r) => r.resource),
    ['MQUMNI', 'MQUMAX', 'MQUMNB'],
  );
});

test('-g: LIMIT and USED are the mount\'s own (limits/sem and the objects it holds)', (t) => {
  const rows = rawRows(answerOf(['-g', '-r']).ours.out);
  const byName = new Map(rows.slice(1).map((r) => [r[0]!, r]));
  const [semmsl, semmns, semopm, semmni] = readFileSync(join(daemon.dir, 'limits', 'sem'), 'utf8').trim().split(/\s+/);
  t.deepEqual(byName.get('SEMMNI')!.slice(2), [semmni, '1', `${((1 / Number(semmni)) * 100).toFixed(2)}%`]);
  t.deepEqual(byName.get('SEMMNS')!.slice(2), [semmns, '3', `${((3 / Number(semmns)) * 100).toFixed(2)}%`]);
  t.deepEqual(byName.get('SEMMSL')!.slice(2), [semmsl, '-', '-']);
  t.deepEqual(byName.get('SEMOPM')!.slice(2), [semopm, '-', '-']);
  t.is(byName.get('SHMMNI')![3], '1');
  t.is(byName.get('MSGMNI')![3], '1');
});

test('a missing mount and a dead daemon: one line, exit status 1', async (t) => {
  const none = await lsipc('/nonexistent-ipcfs-mount', ['-s']);
  t.is(none.code, 1);
  t.regex(none.err, /^lsipc: \/nonexistent-ipcfs-mount: [^\n]*\n$/);
  t.is(text(none), '');
  const env = { ...process.env, IPCFS_MOUNT: '/nonexistent-ipcfs-mount' };
  const viaEnv = await shell([process.execPath, CLI, 'lsipc', '-q'], undefined, env);
  t.is(viaEnv.code, 1);
  t.regex(viaEnv.err, /^lsipc: \/nonexistent-ipcfs-mount: /);
  const d = await startDaemon();
  try {
    d.child.kill('SIGKILL');
    await d.exited;
    const dead = await lsipc(d.dir, ['-s']);
    t.is(dead.code, 1);
    t.regex(dead.err, /^lsipc: [^\n]*not running[^\n]*\n$/);
  } finally {
    await stopDaemon(d);
  }
});

test('-h before a wrong option is the help, as util-linux\'s (it acts on -h first)', async (t) => {
  const r = await lsipc('/nonexistent-ipcfs-mount', ['-h', '-x']);
  t.is(r.code, 0);
  t.regex(text(r), /^\nUsage:\n lsipc \[options\]\n/);
  t.is(r.err, '');
  const sys = await shell(['lsipc', '-h', '-x']);
  t.is(sys.code, 0);
  t.regex(text(sys), /^\nUsage:\n lsipc \[options\]\n/);
});

test('--help: util-linux\'s sections, the mount option and IPCFS_MOUNT; -V', async (t) => {
  const r = await shell([process.execPath, CLI, 'lsipc', '--help']);
  t.is(r.code, 0);
  for (const s of ['Usage:\n lsipc [options]', ' -i, --id <id>', ' -N, --name <name>', '--mount <dir>', 'IPCFS_MOUNT', 'Summary columns (--global):', '          UNDO  ']) t.true(text(r).includes(s), s);
  // every option of the system's --help is in ours
  const sys = await shell(['lsipc', '--help']);
  for (const m of text(sys).matchAll(/^ (?:-\w, )?(--[\w-]+)/gm)) t.true(text(r).includes(m[1]!), m[1]);
  const v = await shell([process.execPath, CLI, 'lsipc', '-V']);
  t.is(v.code, 0);
  t.regex(text(v), /^lsipc from ipcfs /);
});

/** An O_RDWR descriptor of FILE with one command written (kept open: it holds what it took). */
function holdOpen(t: ExecutionContext, file: string, command: string): number {
  const fd = openSync(file, 'r+');
  t.teardown(() => closeSync(fd));
  writeSync(fd, `${command}\n`);
  return fd;
}

test('ipcfs columns: UNDO, WAITERS (semaphores), HELD and HELDBY (queues); none by default', async (t) => {
  await withDaemon(async (d) => {
    const semid = await viaNew(join(d.dir, 'semaphores', 'sysv', '.new'), 'semget private 3 mode=0600');
    const semFile = join(d.dir, 'semaphores', 'sysv', semid);
    holdOpen(t, semFile, 'op 1:2:undo');
    // a waiter for an increase of semaphore 2: a shell blocked in its write until killed
    const waiter = spawn('sh', ['-c', `echo 'op 2:-1' > ${semFile}`], { stdio: 'ignore' });
    t.teardown(() => {
      waiter.kill('SIGKILL');
    });
    t.true(await eventually(() => /^ncnt: 1$/m.test(readFileSync(semFile, 'utf8'))));
    const undoLine = /^undo: pid=(\d+) comm=(\S+) sem=1 adj=-2$/m.exec(readFileSync(semFile, 'utf8'));
    t.truthy(undoLine);
    const s = await lsipc(d.dir, ['-s', '-r', '--noheadings', '-o', 'ID,UNDO,WAITERS']);
    t.is(text(s), `${semid} ${undoLine![1]}:${undoLine![2]}:1:-2 1\n`);
    t.false(text(await lsipc(d.dir, ['-s'])).includes('UNDO'), 'not a default column');
    t.false(text(await lsipc(d.dir, ['-s', '-i', semid])).includes('Undo'), 'not in the detail view');
    t.regex(text(await lsipc(d.dir, ['-s', '-i', semid, '-o', '+UNDO'])), /^Undo holders: +\d+:\S+:1:-2 +\n/m);
    t.regex(text(await lsipc(d.dir, ['-s', '--output-all', '-r'])), /^KEY ID OWNER PERMS CUID CUSER CGID CGROUP UID USER GID GROUP CTIME NSEMS OTIME UNDO WAITERS\n/);

    const msqid = await viaNew(join(d.dir, 'mqueue', 'sysv', '.new'), 'msgget private mode=0600');
    const qFile = join(d.dir, 'mqueue', 'sysv', msqid);
    const send = openSync(qFile, 'w');
    writeSync(send, 'send 7\nhello');
    closeSync(send);
    const fd = holdOpen(t, qFile, 'receive undo nowait');
    const answer = Buffer.alloc(256);
    const got = answer.subarray(0, readSync(fd, answer)).toString();
    const heldId = / id=(\d+)/.exec(got)?.[1];
    t.truthy(heldId, got);
    const held = /^held: id=(\d+) type=7 size=5 pid=(\d+) comm=(\S+)$/m.exec(readFileSync(qFile, 'utf8'));
    t.truthy(held);
    const q = await lsipc(d.dir, ['-q', '-r', '--noheadings', '-o', 'ID,MSGS,HELD,HELDBY,WAITERS']);
    t.is(text(q), `${msqid} 0 1 ${heldId}:${held![2]}:${held![3]}:5 0\n`);
    // -P on a queue: the numeric mode (util-linux 2.38 leaves PERMS empty there; docs/protocol.md, lsipc)
    t.is(text(await lsipc(d.dir, ['-q', '-P', '-r', '--noheadings', '-o', 'PERMS'])), '0600\n');
    // a column of another kind is refused as util-linux refuses one
    const wrong = await lsipc(d.dir, ['-m', '-o', 'UNDO']);
    t.is(wrong.code, 1);
    t.is(wrong.err, 'lsipc: column UNDO does not apply to the specified IPC\n');
  });
});

test('POSIX kinds (2.41: -S -M -Q, NAME MTIME SVAL, -N NAME; no system reference: 2.41\'s source)', async (t) => {
  await withDaemon(async (d) => {
    await viaNew(join(d.dir, 'semaphores', 'named', '.new'), 'create /lsipc-sem value=3 mode=0640');
    await viaNew(join(d.dir, 'shared-memory', 'named', '.new'), 'create lsipc-shm size=5000 mode=0600');
    const S = await lsipc(d.dir, ['-S', '-r']);
    t.is(S.code, 0, S.err);
    const rows = text(S).trim().split('\n');
    // 2.41's default POSIX semaphore columns
    t.is(rows[0], 'NAME PERMS OWNER MTIME SVAL');
    t.regex(rows[1]!, /^\/lsipc-sem rw-r----- root (\d\d:\d\d)? ?3$/);
    const M = await lsipc(d.dir, ['-M', '-b', '-J']);
    const doc = JSON.parse(text(M)) as Record<string, Record<string, string | null>[]>;
    t.deepEqual(Object.keys(doc), ['posix-sharedmemory']);
    t.like(doc['posix-sharedmemory']![0], { name: '/lsipc-shm', perms: 'rw-------', owner: 'root', size: '5000' });
    const N = await lsipc(d.dir, ['-S', '-N', '/lsipc-sem']);
    t.regex(text(N), /^Owner: +root +\nPermissions: +rw-r----- +\n/m);
    t.regex(text(N), /^Name: +\/lsipc-sem +\n/m);
    t.regex(text(N), /^Value: +3 +\n/m);
    const missing = await lsipc(d.dir, ['-Q', '-N', '/nothing']);
    t.is(missing.code, 0);
    t.is(missing.err, 'lsipc: message queue /nothing not found\n');
    // 2.41's exclusive group of all six kinds
    const two = await lsipc(d.dir, ['-s', '-S']);
    t.is(two.code, 1);
    t.is(two.err, 'lsipc: mutually exclusive arguments: --posix-shmems --posix-mqueues --posix-semaphores --shmems --queues --semaphores\n');
  });
});

/**
 * One python process per side makes a segment, attaches it, removes it (so it is "dest", its key
 * IPC_PRIVATE), makes a 3-semaphore set and raises two of them (semop: values 2 and 5, its pid),
 * makes a queue and sends two messages (5 and 7 bytes), and, all of it still held, runs lsipc: the kernel's with shmget/shmat/shmctl in a private
 * IPC namespace, ipcfs's through .new, mmap and unlink on the mount. The same script file and
 * arguments on both sides, so COMMAND (the creator's command line, alive) is the same too.
 */
const ATTACHER = `
import ctypes, json, mmap, os, subprocess
runs = json.loads(os.environ['LSIPC_RUNS'])
if os.environ['LSIPC_SIDE'] == 'kernel':
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    shmid = libc.shmget(0x5678, 5000, 0o1000 | 0o600)
    assert shmid >= 0 and libc.shmat(shmid, None, 0) != ctypes.c_void_p(-1).value and libc.shmctl(shmid, 0, None) == 0
    semid = libc.semget(0x1234, 3, 0o1000 | 0o640)
    ops = (ctypes.c_short * 6)(0, 2, 0, 2, 5, 0)
    assert semid >= 0 and libc.semop(semid, ops, 2) == 0
    msqid = libc.msgget(0x9abc, 0o1000 | 0o644)
    assert msqid >= 0
    for body in (b'hello', b'hello12'):
        buf = ctypes.create_string_buffer(ctypes.sizeof(ctypes.c_long) + len(body))
        ctypes.c_long.from_buffer(buf).value = 1
        ctypes.memmove(ctypes.addressof(buf) + ctypes.sizeof(ctypes.c_long), body, len(body))
        assert libc.msgsnd(msqid, buf, len(body), 0) == 0
    cmd = ['lsipc']
else:
    m = os.environ['LSIPC_MOUNT']
    fd = os.open(m + '/shared-memory/sysv/.new', os.O_RDWR)
    os.write(fd, b'shmget 0x5678 5000 mode=0600 creat\\n')
    shmid = int(os.read(fd, 64).decode().strip())
    os.close(fd)
    f = os.open('%s/shared-memory/sysv/%d' % (m, shmid), os.O_RDWR)
    mapped = mmap.mmap(f, 5000)
    os.unlink('%s/shared-memory/sysv/%d' % (m, shmid))
    def new(kind, line):
        fd = os.open('%s/%s/sysv/.new' % (m, kind), os.O_RDWR)
        os.write(fd, line)
        made = int(os.read(fd, 64).decode().strip())
        os.close(fd)
        return made
    def command(kind, made, data):
        fd = os.open('%s/%s/sysv/%d' % (m, kind, made), os.O_WRONLY)
        os.write(fd, data)
        os.close(fd)
    semid = new('semaphores', b'semget 0x1234 3 mode=0640 creat\\n')
    command('semaphores', semid, b'op 0:2 2:5\\n')
    msqid = new('mqueue', b'msgget 0x9abc mode=0644 creat\\n')
    command('mqueue', msqid, b'send 1\\nhello')
    command('mqueue', msqid, b'send 1\\nhello12')
    cmd = json.loads(os.environ['LSIPC_CLI'])
out = [subprocess.run(cmd + r, capture_output=True, text=True) for r in runs]
print(json.dumps({'pid': os.getpid(), 'runs': [[p.stdout, p.stderr, p.returncode] for p in out]}))
`;

test('objects in use (a segment attached and removed: STATUS dest, NATTCH, LPID, ATTACH, a live COMMAND; semaphore values and pids in Elements; queued messages): as the kernel\'s', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lsipc-attach-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'attach.py');
  writeFileSync(script, ATTACHER);
  const runs = [
    ['-m', '-t'],
    ['-m', '-i', '0'],
    ['-m', '-J', '-t'],
    ['-m', '-e', '-t', '--time-format', 'iso'],
    ['-m', '-o', 'KEY,STATUS,NATTCH,COMMAND,LPID'],
    ['-s', '-i', '0'],
    ['-s', '-t'],
    ['-q'],
    ['-q', '-t'],
    ['-q', '-i', '0'],
    ['-q', '-b', '-J'],
  ];
  interface Side {
    pid: number;
    runs: [string, string, number][];
  }
  const side = async (argv: string[], env: NodeJS.ProcessEnv): Promise<Side> => {
    const r = await shell(argv, undefined, { ...process.env, LSIPC_RUNS: JSON.stringify(runs), ...env });
    if (r.code !== 0) throw new Error(r.err);
    return JSON.parse(text(r)) as Side;
  };
  await withDaemon(async (d) => {
    const ours = await side(['python3', script], { LSIPC_SIDE: 'ipcfs', LSIPC_MOUNT: d.dir, LSIPC_CLI: JSON.stringify([process.execPath, CLI, 'lsipc', '--mount', d.dir]) });
    const kernel = await side(['unshare', '--ipc', 'python3', script], { LSIPC_SIDE: 'kernel' });
    const mask = (s: string, pid: number): string => normalize(s).replace(new RegExp(`\\b${pid}\\b`, 'g'), 'P'.repeat(String(pid).length));
    const collapse = String(ours.pid).length === String(kernel.pid).length ? (s: string): string => s : (s: string): string => s.replace(/P+/g, 'P').replace(/ +/g, ' ');
    runs.forEach((args, i) => {
      const [oOut, oErr, oCode] = ours.runs[i]!;
      const [kOut, kErr, kCode] = kernel.runs[i]!;
      t.is(collapse(mask(oOut, ours.pid)), collapse(mask(kOut, kernel.pid)), `lsipc ${args.join(' ')}`);
      t.is(oErr, kErr);
      t.is(oCode, kCode);
    });
    t.regex(ours.runs[0]![0], /\bdest\b/);
  });
});
