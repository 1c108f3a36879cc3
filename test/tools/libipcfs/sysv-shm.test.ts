/**
 * libipcfs's shmget/shmat/shmdt/shmctl against the kernel: sysv-shm.c is built with glibc (run in
 * a private IPC namespace) and against libipcfs (run on a fresh mount); every line must be the
 * same except those marked "differs:", where nattch is ipcfs's (open files not yet released: a
 * forked child shares its parent's, docs/protocol.md), which are checked against that definition.
 * Covered: shmget's errnos, IPC_STAT's fields, shmat's address rules (SHM_RND, an occupied range,
 * SHM_REMAP, SHM_REMAP without an address), SHM_RDONLY, shmdt of an unknown or misaligned address,
 * attaches inherited and detached by a forked child, IPC_SET, IPC_RMID while attached (dest, the
 * key private, still attachable by id, gone at the last detach).
 */
import { builtOnce, builtWithLibipcfs } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { ipcfsRun, nativeRun } from './shm-oracle.js';

const test = mountTest();
const SOURCE = 'test/tools/libipcfs/sysv-shm.c';
const same = (out: string): string[] => out.split('\n').filter((l) => !l.startsWith('differs:'));
const differs = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('differs:'));

test('shmget, shmat, shmdt and shmctl answer as the kernel, call for call; nattch as ipcfs defines it', async (t) => {
  const native = nativeRun(builtOnce(SOURCE));
  t.is(native.status, 0, native.err);
  t.regex(native.out, /shmctl IPC_RMID last: ok\n$/, 'the oracle ran the whole scenario');
  t.deepEqual(differs(native.out), ['differs: child sees nattch 4', 'differs: child after shmdt sees nattch 3'], 'the kernel counts each inherited attach');
  await withDaemon(async (d) => {
    const ours = ipcfsRun(builtWithLibipcfs(SOURCE), d.dir);
    t.is(ours.status, 0, ours.err);
    t.deepEqual(same(ours.out), same(native.out));
    t.deepEqual(differs(ours.out), ['differs: child sees nattch 2', 'differs: child after shmdt sees nattch 2'], 'the child shares its parent\'s two open files: neither counts again, and its shmdt closes only its copy');
  });
});
