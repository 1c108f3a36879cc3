/**
 * The interposer on unmodified programs (built with glibc only, never linked with libipcfs):
 * under LD_PRELOAD=libipcfs-preload.so their shm_open/shm_unlink and shmget/shmat/shmdt/shmctl
 * are the mount's, answering call for call as glibc + the kernel do (the same scenarios as
 * shm-posix.test.ts and sysv-shm.test.ts). preload-objects.test.ts: where their objects go.
 */
import { builtOnce, LIBIPCFS_PRELOAD } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { ipcfsRun, nativeRun } from './shm-oracle.js';

const test = mountTest();
const preload = { LD_PRELOAD: LIBIPCFS_PRELOAD };
const same = (out: string): string[] => out.split('\n').filter((l) => !l.startsWith('differs:'));

test('an unmodified program\'s POSIX and System V shared memory calls answer as glibc + the kernel', async (t) => {
  const posix = builtOnce('test/tools/libipcfs/shm-posix.c');
  const sysv = builtOnce('test/tools/libipcfs/sysv-shm.c');
  const [nativePosix, nativeSysv] = [nativeRun(posix), nativeRun(sysv)];
  t.is(nativePosix.status, 0, nativePosix.err);
  t.is(nativeSysv.status, 0, nativeSysv.err);
  await withDaemon(async (d) => {
    const ours = ipcfsRun(posix, d.dir, [], preload);
    t.is(ours.status, 0, ours.err);
    t.is(ours.out, nativePosix.out);
    const oursSysv = ipcfsRun(sysv, d.dir, [], preload);
    t.is(oursSysv.status, 0, oursSysv.err);
    t.deepEqual(same(oursSysv.out), same(nativeSysv.out));
    t.regex(oursSysv.out, /differs: child sees nattch 2\n/, 'ipcfs\'s nattch: it was the mount that answered');
  });
});
