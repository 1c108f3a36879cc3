/**
 * The interposer on unmodified programs (built with glibc only, never linked with libipcfs):
 * under LD_PRELOAD=libipcfs-preload.so their shm_open/shm_unlink and shmget/shmat/shmdt/shmctl
 * are the mount's, answering call for call as glibc + the kernel do (the same scenarios as
 * shm-posix.test.ts and sysv-shm.test.ts), and the objects they make are files of the mount, with
 * nothing in the kernel's namespace or in /dev/shm.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
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

test('the objects an unmodified program makes are the mount\'s files; the kernel and /dev/shm get none', async (t) => {
  const bin = builtOnce('test/tools/libipcfs/preload-objects.c');
  await withDaemon(async (d) => {
    // in a namespace of its own, so that what the kernel holds afterwards is only what it made
    const r = nativeRun('env', [`LD_PRELOAD=${LIBIPCFS_PRELOAD}`, `IPCFS_MOUNT=${d.dir}`, bin, 'shm', 'sysv-shm'], 'echo ---; tail -n +2 /proc/sysvipc/shm; ls -A /dev/shm;');
    t.is(r.status, 0, r.err);
    const m = /^shm: made\nsysv-shm: made\nname (\S+) key (0x[0-9a-f]{8})\n---\n$/.exec(r.out);
    t.truthy(m, `${r.out}: made both, and the kernel's table and /dev/shm are empty`);
    const [, name, key] = m!;
    const shm = join(d.dir, 'shared-memory');
    t.regex(readFileSync(join(shm, 'status', 'named', name!), 'utf8'), /^size: 4096$/m);
    const id = readlinkSync(join(shm, 'sysv', 'by-key', key!)).replace('../', '');
    t.is(readFileSync(join(shm, 'sysv', id)).subarray(0, 9).toString(), 'preloaded');
  });
});
