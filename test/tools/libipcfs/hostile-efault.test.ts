/**
 * Pointers the kernel refuses with EFAULT (NULL, an unmapped address) and sizes past the limits,
 * given to semop/semtimedop, semctl, msgsnd/msgrcv, msgctl, shmctl, mq_send/mq_receive and their
 * timed forms: the library answers as the kernel (EFAULT, EINVAL, EMSGSIZE in its order) instead
 * of dying of SIGSEGV inside a call (perhaps with a lock held), and mq_send of a length near
 * SIZE_MAX is EMSGSIZE (it once wrapped and sent an empty message). Oracle: the same unmodified
 * program natively, in a private IPC namespace.
 */
import { builtOnce, LIBIPCFS_PRELOAD } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { ipcfsRun, nativeRun } from './shm-oracle.js';

const test = mountTest();

test('bad pointers and sizes: the kernel\'s errno, never a crash', async (t) => {
  const bin = builtOnce('test/tools/libipcfs/hostile-efault.c', ['-Wno-nonnull']);
  const native = nativeRun(bin);
  t.is(native.status, 0, native.err);
  t.regex(native.out, /^semop NULL: -1 EFAULT$/m);
  await withDaemon(async (d) => {
    const r = ipcfsRun(bin, d.dir, [], { LD_PRELOAD: LIBIPCFS_PRELOAD });
    t.is(r.status, 0, r.err);
    t.is(r.out, native.out);
  });
});
