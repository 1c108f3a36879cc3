/**
 * libipcfs's shm_open/shm_unlink against glibc + Linux: shm-posix.c is built with glibc (run on
 * a private /dev/shm in a private namespace) and against libipcfs (run on a fresh mount), and the
 * two outputs must be the same line for line: glibc's name rules and errnos (EINVAL, ENOENT from
 * shm_unlink, ENAMETOOLONG), O_CREAT/O_EXCL/O_TRUNC, the umask, close-on-exec, ftruncate + mmap
 * shared across fork and a second open, read-only opens, unlink while open.
 */
import { builtOnce, builtWithLibipcfs } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { ipcfsRun, nativeRun } from './shm-oracle.js';

const test = mountTest();
const SOURCE = 'test/tools/libipcfs/shm-posix.c';

test('shm_open and shm_unlink answer as glibc on /dev/shm, call for call', async (t) => {
  const native = nativeRun(builtOnce(SOURCE));
  t.is(native.status, 0, native.err);
  t.regex(native.out, /parent sees: 'from the child, inherited mapping' \/ 'from the child, another open'/, 'the oracle ran the whole scenario');
  await withDaemon(async (d) => {
    const ours = ipcfsRun(builtWithLibipcfs(SOURCE), d.dir);
    t.is(ours.status, 0, ours.err);
    t.is(ours.out, native.out);
  });
});
