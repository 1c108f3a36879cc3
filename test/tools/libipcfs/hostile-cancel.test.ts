/**
 * pthread_cancel of threads blocked in mq_receive and msgrcv: each cancelled receive kept its
 * private descriptor busy in the pool for ever (and opened another for the next receive), so a
 * program cancelling receivers leaked a descriptor per cancel. Now the cancelled thread's
 * descriptor is closed (an answer may be unread on it). Oracle: the same unmodified program
 * natively, in a private IPC namespace.
 */
import { builtOnce, LIBIPCFS_PRELOAD } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { ipcfsRun, nativeRun } from './shm-oracle.js';

const test = mountTest();

test('cancelled receivers leave no descriptor behind, and the queues go on', async (t) => {
  const bin = builtOnce('test/tools/libipcfs/hostile-cancel.c', ['-pthread']);
  const native = nativeRun(bin);
  t.is(native.status, 0, native.err);
  t.is(native.out, 'descriptors: same\nmq_send: ok\nmq_receive: 1\nmsgsnd: ok\nmsgrcv: 2\n');
  await withDaemon(async (d) => {
    const r = ipcfsRun(bin, d.dir, [], { LD_PRELOAD: LIBIPCFS_PRELOAD });
    t.is(r.status, 0, r.err);
    t.is(r.out, native.out);
  });
});
