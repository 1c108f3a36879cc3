/**
 * The interposer on an unmodified program (preload-objects.c, built with glibc only): every object
 * it makes (POSIX and System V shared memory, message queues, semaphores) is a file of the mount,
 * and the kernel's IPC namespace, its mqueue filesystem and /dev/shm get none. The program runs in
 * a namespace of its own, so that what the kernel holds afterwards can only be what it made.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { builtOnce, LIBIPCFS_PRELOAD } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { nativeRun } from './shm-oracle.js';

const test = mountTest();
const KINDS = ['shm', 'sysv-shm', 'mq', 'sysv-msg', 'sem', 'sysv-sem'];

/** After the program, in its namespace: the kernel's System V tables (without headers), its POSIX queues and /dev/shm. */
const KERNEL_HOLDS = 'echo ---; for k in shm msg sem; do tail -n +2 /proc/sysvipc/$k; done; q=$(mktemp -d) && mount -t mqueue none $q && ls -A $q; umount $q; rmdir $q; ls -A /dev/shm;';

test('the objects an unmodified program makes are the mount\'s files; the kernel and /dev/shm get none', async (t) => {
  const bin = builtOnce('test/tools/libipcfs/preload-objects.c');
  await withDaemon(async (d) => {
    const r = nativeRun('env', [`LD_PRELOAD=${LIBIPCFS_PRELOAD}`, `IPCFS_MOUNT=${d.dir}`, bin, ...KINDS], KERNEL_HOLDS);
    t.is(r.status, 0, r.err);
    const m = new RegExp(`^${KINDS.map((k) => `${k}: made\n`).join('')}name (\\S+) key (0x[0-9a-f]{8})\n---\n$`).exec(r.out);
    t.truthy(m, `${r.out}: made them all, and the kernel holds nothing`);
    const [, name, key] = m!;
    const shm = join(d.dir, 'shared-memory');
    t.regex(readFileSync(join(shm, 'status', 'named', name!), 'utf8'), /^size: 4096$/m);
    const id = readlinkSync(join(shm, 'sysv', 'by-key', key!)).replace('../', '');
    t.is(readFileSync(join(shm, 'sysv', id)).subarray(0, 9).toString(), 'preloaded');
    t.regex(readFileSync(join(d.dir, 'mqueue', 'named', name!), 'utf8'), /^name: \//m);
    t.regex(readlinkSync(join(d.dir, 'mqueue', 'sysv', 'by-key', key!)), /^\.\.\/\d+$/);
    t.regex(readFileSync(join(d.dir, 'semaphores', 'named', name!), 'utf8'), /^value: 1$/m);
    t.regex(readlinkSync(join(d.dir, 'semaphores', 'sysv', 'by-key', key!)), /^\.\.\/\d+$/);
  });
});
