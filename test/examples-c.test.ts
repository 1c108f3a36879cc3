/**
 * examples/libipcfs (C against libipcfs) and examples/exec (plain POSIX and System V C, knowing
 * nothing of ipcfs, run through `ipcfs exec`): each builds with the flags its opening comment
 * gives, runs against a live mount, prints what it says it does, exits 0 and leaves no object
 * behind. The exec programs are also run on the kernel (private IPC namespace, private /dev/shm):
 * that output is the oracle, and the one through ipcfs exec must be the same, byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import avaTest from 'ava';
import { LIBIPCFS_BUILD, LIBIPCFS_DIR } from './helpers/c-helper.js';
import { gcc, leftovers } from './helpers/examples.js';
import { CLI, PACKAGE_ROOT, eventually, mountTest, startDaemon, stopDaemon, type Daemon } from './helpers/mount.js';

const EXAMPLES = join(PACKAGE_ROOT, 'examples');
const cFiles = (dir: string): string[] => readdirSync(join(EXAMPLES, dir)).filter((f) => f.endsWith('.c')).sort().map((f) => `${dir}/${f}`);
const LINKED = cFiles('libipcfs');
const EXEC = cFiles('exec');

/** What each prints; for the exec ones, the kernel's run must print it too. */
const expected: Record<string, RegExp> = {
  'libipcfs/robust-pool.c': /^both workers hold a token; the pool is empty\nboth workers were killed holding a token; the parent took both tokens back\ntokens in the pool: 2\n$/,
  'libipcfs/mq-priority.c': /^producer: 4 jobs queued\nconsumer: prio 9: disk full!\nconsumer: prio 1: backup \/home\nconsumer: prio 1: rotate logs\nconsumer: prio 1: vacuum db\n$/,
  'libipcfs/shm-share.c': /^reader sees: hello from pid \d+\n$/,
  'libipcfs/sysv.c': /^parent reads the segment: 42 rows processed\nworker got the answer: thanks\n$/,
  'exec/mq-posix.c': /^consumer: compile a\.c\nconsumer: compile b\.c\nconsumer: compile c\.c\nconsumer: link app\nproducer: sent 4 jobs, the consumer exited 0\n$/,
  'exec/mq-sysv.c': /^consumer of type 2: email 1\nconsumer of type 1: image 1\nconsumer of type 1: image 2\nproducer: both consumers done, 0 messages left\n$/,
  'exec/sem-posix-pool.c': /^4 workers, 2 tokens: at most 2 worked at once; 2 tokens back in the pool\n$/,
  'exec/sem-sysv-undo.c': /^held by the child: GETVAL=0, GETPID is the child: yes\nthe child was killed holding it; SEM_UNDO gave it back and the parent took it\n$/,
  'exec/shm-posix.c': /^two processes added 200 each: counter = 400\n$/,
  'exec/shm-sysv.c': /^parent reads: written by the child \(child exited 0\)\nIPC_STAT: 4096 bytes, created by this process: yes\n$/,
};

/** The build line each opening comment gives, as gcc arguments after the source. */
const LINK_LIBIPCFS = ['-I', LIBIPCFS_DIR, '-L', LIBIPCFS_BUILD, `-Wl,-rpath,${LIBIPCFS_BUILD}`, '-lipcfs'];
const LINK_PLAIN = ['-lrt'];

const mounted = mountTest() === avaTest;
const serial: typeof avaTest.serial = mounted ? avaTest.serial : (avaTest.serial.skip as unknown as typeof avaTest.serial);
let daemon: Daemon | null = null;
let build = '';
const bin = (file: string): string => join(build, basename(file, '.c'));
if (mounted) {
  avaTest.before(async () => {
    build = mkdtempSync(join(tmpdir(), 'ipcfs-examples-c-'));
    await Promise.all([
      ...LINKED.map((f) => gcc(join(EXAMPLES, f), bin(f), LINK_LIBIPCFS)),
      ...EXEC.map((f) => gcc(join(EXAMPLES, f), bin(f), LINK_PLAIN)),
    ]);
    daemon = await startDaemon();
  });
  avaTest.after.always(async () => {
    if (daemon) await stopDaemon(daemon);
    if (build) rmSync(build, { recursive: true, force: true });
  });
}

function run(argv: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
}

/** On the kernel, touching none of the host's objects: its own IPC namespace and /dev/shm. */
function onKernel(prog: string): ReturnType<typeof run> {
  return run(['unshare', '--ipc', '--mount', 'sh', '-c', 'mount -t tmpfs -o mode=1777 none /dev/shm && exec "$0"', prog]);
}

avaTest('every C example has its expected output here', (t) => {
  t.deepEqual(Object.keys(expected).sort(), [...EXEC, ...LINKED].sort());
});

async function emptiedAfter(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }, dir: string, ran: () => void): Promise<void> {
  t.deepEqual(leftovers(dir), [], 'the mount is empty before');
  ran();
  // Objects removed while still open or mapped go when the kernel's RELEASE arrives, just after.
  await eventually(() => leftovers(dir).length === 0);
  const left = leftovers(dir);
  for (const path of left) if (!path.includes('/by-key/')) rmSync(join(dir, path), { recursive: true, force: true }); // the next example starts clean
  t.deepEqual(left, [], 'every object it made is gone');
}

for (const file of LINKED) {
  serial(`examples/${file}, linked with libipcfs, runs on a mount and leaves nothing behind`, async (t) => {
    await emptiedAfter(t, daemon!.dir, () => {
      const r = run([bin(file), daemon!.dir]);
      t.is(r.status, 0, `exit status; stderr: ${r.stderr}`);
      t.is(r.stderr, '');
      t.regex(r.stdout, expected[file]!);
    });
  });
}

for (const file of EXEC) {
  serial(`examples/${file}, unchanged, prints under ipcfs exec what it prints on the kernel, and leaves nothing behind`, async (t) => {
    const kernel = onKernel(bin(file));
    t.is(kernel.status, 0, `on the kernel; stderr: ${kernel.stderr}`);
    t.regex(kernel.stdout, expected[file]!, 'on the kernel');
    await emptiedAfter(t, daemon!.dir, () => {
      const r = run([process.execPath, CLI, 'exec', '--mount', daemon!.dir, '--', bin(file)]);
      t.is(r.status, 0, `exit status; stderr: ${r.stderr}`);
      t.is(r.stderr, '');
      t.is(r.stdout, kernel.stdout);
    });
  });
}

avaTest('each C example opens with what it shows, how to build it and how to run it', (t) => {
  for (const file of [...LINKED, ...EXEC]) {
    const name = basename(file, '.c');
    const head = readFileSync(join(EXAMPLES, file), 'utf8').split('\n').slice(0, 10).join('\n');
    t.regex(head, /^\/\* /, file);
    if (file.startsWith('libipcfs/')) {
      t.true(head.includes(`Build (in the package): cc -o ${name} examples/${file} -I tools/libipcfs -L tools/libipcfs/build -lipcfs`), file);
      t.regex(head, new RegExp(`Usage: .*\\./${name} \\[MOUNT\\]`), file);
    } else {
      t.regex(head, new RegExp(`Build: cc -o ${name} ${name}\\.c( -lrt)?\\n`), file);
      t.true(head.includes(`Usage: ipcfs exec [--mount MOUNT] -- ./${name}`), file);
    }
  }
});

avaTest('examples/README.md lists every example', (t) => {
  const readme = readFileSync(join(EXAMPLES, 'README.md'), 'utf8');
  const top = readdirSync(EXAMPLES, { withFileTypes: true }).filter((e) => e.isFile() && e.name !== 'README.md').map((e) => e.name);
  for (const file of [...top, ...LINKED, ...EXEC]) t.true(readme.includes(`\`${file}\``), file);
});
