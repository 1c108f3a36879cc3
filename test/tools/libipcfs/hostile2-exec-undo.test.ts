/**
 * A SEM_UNDO token taken before execve, by a jobserver-like client whose exec'd job starts a
 * helper child and is then SIGKILLed: on Linux the token comes back when the job dies, whatever
 * its children do. Under the interposer the handle holding the adjustment is handed across the
 * exec; the exec'd program's library must take it back as its own (close-on-exec, not given to
 * fork children), else the helper held the dead job's adjustment and the token came back only
 * when the helper exited. A helper started with vfork + exec must not get them either (no fork
 * handler runs in a vfork child: the exec wrapper checks the process id). Oracle: the same unmodified program natively, in a private IPC
 * namespace; the values at each step must be the same (each waited for, as undo on the mount
 * comes a moment after the exit).
 */
import { builtOnce, LIBIPCFS_PRELOAD } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { ipcfsRun, nativeRun } from './shm-oracle.js';

const test = mountTest();

for (const how of ['fork', 'vfork']) {
  test(`an undo token handed across two execs comes back when the job dies, not when its helper child (${how} + exec) does`, async (t) => {
    const bin = builtOnce('test/tools/libipcfs/hostile2-exec-undo.c');
    const native = nativeRun(bin, [how]);
    t.is(native.status, 0, native.err);
    t.is(native.out, 'job holds a token: 1\njob killed, its helper alive: 2\nhelper gone: 2\nrmid: 0\n');
    await withDaemon(async (d) => {
      const r = ipcfsRun(bin, d.dir, [how], { LD_PRELOAD: LIBIPCFS_PRELOAD });
      t.is(r.status, 0, r.err);
      t.is(r.out, native.out);
    });
  });
}
