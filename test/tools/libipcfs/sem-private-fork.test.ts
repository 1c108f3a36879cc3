/**
 * pshared=0 semaphores across fork: as with glibc, the child has its own semaphore with the value
 * the parent's had at the fork (libipcfs makes it a copy in the fork child), so the child's waits,
 * posts and sem_destroy leave the parent's alone. sem-private-fork.c built both ways must print the
 * same; and CPython (whose thread locks are such semaphores, re-created in a fork child) under
 * `ipcfs exec` prints what plain python3 prints, with nothing on stderr.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { builtOnce, LIBIPCFS_BUILD, LIBIPCFS_DIR } from '../../helpers/c-helper.js';
import { CLI, mountTest, withDaemon } from '../../helpers/mount.js';

const test = mountTest();
const SOURCE = 'test/tools/libipcfs/sem-private-fork.c';

function run(argv: string[], env: Record<string, string> = {}): { stdout: string; stderr: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.status ?? r.signal} ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

const PYTHON = `
import os, threading
lock = threading.Lock(); lock.acquire()
pid = os.fork()
if pid == 0:
    print("child copy held:", not lock.acquire(False)); lock.release()
    t = threading.Thread(target=lambda: print("child thread")); t.start(); t.join()
    os._exit(0)
os.waitpid(pid, 0)
print("parent still held:", lock.locked()); lock.release()
t = threading.Thread(target=lambda: print("parent thread")); t.start(); t.join()
print("parent done", lock.acquire(False))
`;

test('pshared=0 semaphores across fork: libipcfs prints what glibc prints', async (t) => {
  const native = builtOnce(SOURCE, ['-pthread']);
  const ipcfs = builtOnce(SOURCE, ['-DUSE_IPCFS', '-I', LIBIPCFS_DIR, '-L', LIBIPCFS_BUILD, '-Wl,-rpath,' + LIBIPCFS_BUILD, '-lipcfs', '-pthread']);
  const expected = run(['unshare', '--ipc', native]).stdout;
  await withDaemon(async (d) => {
    const got = run([ipcfs], { IPCFS_MOUNT: d.dir });
    t.is(got.stdout, expected);
    t.is(got.stderr, '');
    t.deepEqual(readdirSync(join(d.dir, 'semaphores', 'unnamed')).filter((n) => n !== '.new'), [], 'copies destroyed or gone with their process');
  });
});

test('python3 os.fork with threading locks in both processes under ipcfs exec', async (t) => {
  const expected = run(['python3', '-c', PYTHON]);
  await withDaemon(async (d) => {
    const got = run([process.execPath, CLI, 'exec', '--mount', d.dir, '--', 'python3', '-c', PYTHON]);
    t.is(got.stderr, '');
    t.is(got.stdout, expected.stdout);
  });
});
