/**
 * A program that closes every descriptor it did not open (closefrom, close 3..1023) after using
 * its IPC objects, then opens files of its own that take the freed numbers. The library's handles
 * were among the closed numbers: it must never write a command into the program's files ("post",
 * "op 0:1:undo", "send ...") nor close them, and the objects go on working as with glibc, which
 * holds no descriptor for them. Oracle: the same unmodified program natively, in a private IPC
 * namespace.
 *
 * One difference, on purpose and documented: an unnamed semaphore (sem_init) is `transient` on
 * the mount, gone with its last open file; the program closed that file, so sem_post then fails
 * with EINVAL (never acting on another file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtOnce, LIBIPCFS_PRELOAD } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { ipcfsRun, nativeRun } from './shm-oracle.js';

const test = mountTest();

test('closing the library\'s descriptors behind its back never writes into, nor closes, the files that reuse their numbers', async (t) => {
  const bin = builtOnce('test/tools/libipcfs/hostile-closefrom.c');
  const dir = mkdtempSync(join(tmpdir(), 'hostile-closefrom-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const native = nativeRun(bin, [dir]);
  t.is(native.status, 0, native.err);
  t.regex(native.out, /sem_post unnamed: ok\nend\n$/);
  await withDaemon(async (d) => {
    const r = ipcfsRun(bin, d.dir, [dir], { LD_PRELOAD: LIBIPCFS_PRELOAD });
    t.is(r.status, 0, r.err);
    t.is(r.out, native.out.replace('sem_post unnamed: ok\n', 'sem_post unnamed: EINVAL\n'));
  });
});
