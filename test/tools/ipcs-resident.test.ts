/**
 * `ipcs -m -u`'s "pages resident" counts the pages a segment's memory holds (sysvipc/shm's rss, as
 * the kernel's shm_rss), not every page of its size: a 1 MiB segment with two pages written shows
 * 2, as the system's ipcs (util-linux 2.38.1, run here on a kernel twin in a private IPC namespace).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, mountTest, withDaemon } from '../helpers/mount.js';
import { cloneCreate } from '../../tools/cli-io.js';

const test = mountTest();

/** The twin: a private 1 MiB segment, one byte written at 0 and at 8192 (pages 0 and 2), detached. */
const KERNEL_TWIN = String.raw`
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
sid = libc.shmget(0, 1 << 20, 0o1600)
p = libc.shmat(sid, None, 0)
assert sid >= 0 and p not in (None, ctypes.c_void_p(-1).value)
ctypes.memset(p, 1, 1)
ctypes.memset(p + 8192, 1, 1)
libc.shmdt(ctypes.c_void_p(p))
`;

test('ipcs -m -u: pages resident are the pages written, as the system ipcs counts them', async (t) => {
  const kernel = spawnSync('unshare', ['--ipc', 'sh', '-c', 'python3 -c "$0" && ipcs -m -u', KERNEL_TWIN], { encoding: 'utf8' });
  t.is(kernel.status, 0, kernel.stderr);
  t.regex(kernel.stdout, /pages resident {2}2\n/, 'the reference counts the two written pages');
  await withDaemon(async ({ dir }) => {
    const id = cloneCreate(join(dir, 'shared-memory/sysv/.new'), 'shmget private 1048576 mode=600');
    const fd = openSync(join(dir, 'shared-memory/sysv', id), 'r+');
    try {
      writeSync(fd, Buffer.from([1]), 0, 1, 0);
      writeSync(fd, Buffer.from([1]), 0, 1, 8192);
    } finally {
      closeSync(fd);
    }
    const mine = spawnSync(process.execPath, [CLI, 'ipcs', '-m', '-u', '--mount', dir], { encoding: 'utf8' });
    t.is(mine.status, 0, mine.stderr);
    t.is(mine.stdout, kernel.stdout);
  });
});
