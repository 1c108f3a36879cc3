/**
 * The shell and Python programs of examples/exec, run unchanged through `ipcfs exec`: each prints
 * what it says it does, exits 0, leaves no object on the mount and none in the kernel. The kernel
 * is the oracle where it can be: ipcrm's message for a removed id, and the Python program's
 * outcome, which must be the kernel's run's (in a private IPC namespace and /dev/shm).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import avaTest from 'ava';
import { leftovers } from './helpers/examples.js';
import { CLI, PACKAGE_ROOT, eventually, mountTest, startDaemon, stopDaemon, type Daemon } from './helpers/mount.js';

const EXEC = join(PACKAGE_ROOT, 'examples', 'exec');
const SCRIPTS = readdirSync(EXEC).filter((f) => f.endsWith('.sh') || f.endsWith('.py')).sort();

const mounted = mountTest() === avaTest;
const serial: typeof avaTest.serial = mounted ? avaTest.serial : (avaTest.serial.skip as unknown as typeof avaTest.serial);
let daemon: Daemon | null = null;
if (mounted) {
  avaTest.before(async () => {
    daemon = await startDaemon();
  });
  avaTest.after.always(async () => {
    if (daemon) await stopDaemon(daemon);
  });
}

function run(argv: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
}

/** In a private IPC namespace and /dev/shm; after ARGV, the kernel's System V tables (rows only) and /dev/shm. */
function isolated(argv: string[]): ReturnType<typeof run> {
  const script = 'mount -t tmpfs -o mode=1777 none /dev/shm && "$@"; s=$?; echo "kernel:"; tail -q -n +2 /proc/sysvipc/msg /proc/sysvipc/sem /proc/sysvipc/shm; ls -A /dev/shm; exit $s';
  return run(['unshare', '--ipc', '--mount', 'sh', '-c', script, 'sh', ...argv]);
}

const throughExec = (...argv: string[]): string[] => [process.execPath, CLI, 'exec', '--mount', daemon!.dir, '--', ...argv];

async function leavesNothing(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }, ran: () => void): Promise<void> {
  const dir = daemon!.dir;
  t.deepEqual(leftovers(dir), [], 'the mount is empty before');
  ran();
  // Transient (sem_init) semaphores of exited processes go when the kernel's RELEASE arrives.
  await eventually(() => leftovers(dir).length === 0);
  const left = leftovers(dir);
  for (const path of left) if (!path.includes('/by-key/')) rmSync(join(dir, path), { recursive: true, force: true }); // the next one starts clean
  t.deepEqual(left, [], 'every object it made is gone');
}

avaTest('every shell and Python program of examples/exec is tested here', (t) => {
  t.deepEqual(SCRIPTS, ['multiprocessing-pool.py', 'util-linux.sh']);
});

serial('examples/exec/util-linux.sh: ipcmk and ipcrm make and remove the mount\'s objects; none reaches the kernel', async (t) => {
  // The kernel's ipcrm on an id it just removed: the message the mount's must give too.
  const kernel = run(['unshare', '--ipc', 'sh', '-c', 'q=$(ipcmk -Q | sed "s/.*: //"); ipcrm -q $q; ipcrm -q $q 2>&1; echo "status $? id $q"']);
  const [, message, id] = /^(.*)\nstatus 1 id (\d+)\n$/.exec(kernel.stdout) ?? [];
  t.truthy(message, `the kernel's ipcrm: ${kernel.stdout} ${kernel.stderr}`);
  await leavesNothing(t, () => {
    const r = isolated(throughExec('sh', join(EXEC, 'util-linux.sh')));
    t.is(r.status, 0, `exit status; stderr: ${r.stderr}`);
    t.is(r.stderr, '');
    const m = /^ipcmk -Q: msqid (\d+), perms 600, on the mount as mqueue\/sysv\/\1\nipcmk -S 2: semid (\d+), perms 600, nsems 2, on the mount as semaphores\/sysv\/\2\nipcmk -M 4096: shmid (\d+), perms 600, size 4096, on the mount as shared-memory\/sysv\/\3\nipcrm -q \1 -s \2 -m \3: removed\n(.*)\nipcrm -q \1 again: exit status 1\nnone of the three is left on the mount\nkernel:\n$/.exec(r.stdout);
    t.truthy(m, r.stdout);
    t.is(m?.[4], message!.replace(`(${id})`, `(${m?.[1]})`), 'ipcrm says what it says on the kernel');
  });
});

serial('examples/exec/multiprocessing-pool.py: multiprocessing\'s semaphores are the mount\'s, and bound the workers as on the kernel', async (t) => {
  const file = join(EXEC, 'multiprocessing-pool.py');
  const kernel = isolated(['python3', file]);
  t.is(kernel.status, 0, `on the kernel; stderr: ${kernel.stderr}`);
  t.is(kernel.stdout, '4 workers, 2 tokens: at most 2 worked at once; exit codes [0, 0, 0, 0]\nnamed semaphores open as files of the mount: 0\nkernel:\n');
  await leavesNothing(t, () => {
    const r = isolated(throughExec('python3', file));
    t.is(r.status, 0, `exit status; stderr: ${r.stderr}`);
    t.is(r.stderr, '');
    const [first, ...rest] = r.stdout.split('\n');
    t.is(first, kernel.stdout.split('\n')[0], 'the same outcome as on the kernel');
    t.regex(rest.join('\n'), /^named semaphores open as files of the mount: 2\n {2}semaphores\/named\/mp-\S+\n {2}semaphores\/named\/mp-\S+\nkernel:\n$/);
  });
});

avaTest('each opens with what it shows and how it is run, and examples/README.md lists it', (t) => {
  const readme = readFileSync(join(PACKAGE_ROOT, 'examples', 'README.md'), 'utf8');
  for (const file of SCRIPTS) {
    const head = readFileSync(join(EXEC, file), 'utf8').split('\n').slice(0, 12).join('\n');
    t.regex(head, /^(#!\/bin\/sh\n# |""")Run unchanged through `ipcfs exec`/, file);
    t.true(head.includes(`Usage: ipcfs exec [--mount MOUNT] -- ${file.endsWith('.py') ? 'python3' : 'sh'} ${file}`), file);
    t.true(readme.includes(`\`exec/${file}\``), file);
  }
});
