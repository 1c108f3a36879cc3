/**
 * Names legal on Linux that are not one word of the mount's `create NAME ...` commands (blanks,
 * a newline, a tab, a no-break space; names looking like the create's options). sem_open and
 * mq_open must never make or use another object ("/ lead" made the semaphore "lead", "/x excl"
 * carried an option): sem_open makes them by open(O_CREAT) instead, as glibc answers; mq_open can
 * only open an existing one (open(O_CREAT) cannot carry an mq_attr), so creating a queue with
 * attributes under such a name is EINVAL, on purpose (documented). Oracle: the same unmodified
 * program natively, in a private IPC namespace.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { builtOnce, LIBIPCFS_PRELOAD } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { ipcfsRun, nativeRun } from './shm-oracle.js';

const test = mountTest();

test('sem_open and mq_open of names with blanks never touch another name; semaphores answer as glibc', async (t) => {
  const bin = builtOnce('test/tools/libipcfs/hostile-names.c');
  const native = nativeRun(bin);
  t.is(native.status, 0, native.err);
  t.regex(native.out, /mq_open attr: ok maxmsg 3\n/);
  await withDaemon(async (d) => {
    const r = ipcfsRun(bin, d.dir, [], { LD_PRELOAD: LIBIPCFS_PRELOAD });
    t.is(r.status, 0, r.err);
    t.is(r.out, native.out.replace(/mq_open attr: ok maxmsg 3\nmq_unlink: ok\n/g, 'mq_open attr: EINVAL\nmq_unlink: ENOENT\n'));
    for (const dir of ['semaphores/named', 'mqueue/named']) t.deepEqual(readdirSync(join(d.dir, dir)), [], `${dir}: nothing left, nothing made under another name`);
  });
});
