/**
 * Process-private unnamed semaphores (sem_init pshared 0) across fork: the child works on copies,
 * as it does with glibc (its memory is a copy). The child's sem_post, sem_trywait and sem_destroy
 * once acted on its parent's semaphores: Python's thread locks are such semaphores, and
 * multiprocessing's Pool died with "sem_trywait: Identifier removed" under the interposer. Oracle:
 * the same unmodified program natively, in a private IPC namespace; and Python itself.
 */
import { spawnSync } from 'node:child_process';
import { builtOnce, LIBIPCFS_PRELOAD } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { ipcfsRun, nativeRun } from './shm-oracle.js';

const test = mountTest();

test('a fork child\'s private semaphores are its own copies', async (t) => {
  const bin = builtOnce('test/tools/libipcfs/hostile-fork-private.c');
  const native = nativeRun(bin);
  t.is(native.status, 0, native.err);
  t.regex(native.out, /^parent: held 0 empty 0 spare 3$/m);
  await withDaemon(async (d) => {
    const r = ipcfsRun(bin, d.dir, [], { LD_PRELOAD: LIBIPCFS_PRELOAD });
    t.is(r.status, 0, r.err);
    t.is(r.out, native.out);
  });
});

const POOL = `
import multiprocessing as mp, threading
def square(x): return x * x
if __name__ == '__main__':
    with mp.Pool(3) as p: print(sum(p.map(square, range(200))))
    lock = threading.Lock()
    with lock: pass
    print('done')
`;

test('Python\'s multiprocessing Pool under the interposer', async (t) => {
  await withDaemon(async (d) => {
    const r = spawnSync('python3', ['-c', POOL], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LD_PRELOAD: LIBIPCFS_PRELOAD, IPCFS_MOUNT: d.dir } });
    t.is(r.stderr, '');
    t.is(r.stdout, '2646700\ndone\n');
    t.is(r.status, 0);
  });
});
