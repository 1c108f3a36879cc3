/**
 * SEM_UNDO across exec under the interposer, as on Linux (semop(2): adjustments survive execve):
 * an unmodified program takes a unit with SEM_UNDO and execs through each of the exec family's
 * eight calls (the p-forms by a PATH search: glibc's own); the exec'd image (the same process) still holds the unit, shown as its holder, and
 * the unit comes back only when that image is SIGKILLed. A failed exec gives the handle its
 * close-on-exec back: a child made afterwards with posix_spawn (glibc's own exec, not the
 * interposer's) does not keep the unit, which comes back when its parent is killed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { eventually, mountTest, printed, withDaemon } from '../../helpers/mount.js';
import { semStatus, setWithOneUnit, underIpcfsExec } from './preload-undo.js';

const test = mountTest();
const VARIANTS = ['execv', 'execve', 'execvp', 'execvpe', 'execl', 'execle', 'execlp', 'fexecve'];

test('a SEM_UNDO unit survives each exec call and comes back when the exec\'d image is killed', async (t) => {
  await withDaemon(async (d) => {
    for (const variant of VARIANTS) {
      const set = setWithOneUnit(d.dir);
      const run = underIpcfsExec(d.dir, ['exec', set.key, variant]);
      let pid = 0;
      try {
        const took = await printed(run, /^took pid=(\d+)$/m);
        const held = await printed(run, /^held pid=(\d+)$/m);
        t.truthy(took && held, `${variant}: ${run.out()}`);
        pid = Number(held![1]);
        t.is(pid, Number(took![1]), `${variant}: the same process, a new image`);
        t.deepEqual(semStatus(set.path), { value: '0', undo: [`undo: pid=${pid} comm=preload-undo sem=0 adj=1`] }, `${variant}: still held after the exec`);
        process.kill(pid, 'SIGKILL');
        await run.done;
        t.true(await eventually(() => semStatus(set.path).value === '1'), `${variant}: back at the death of the exec'd image`);
      } finally {
        if (pid && run.child.exitCode === null) spawnSync('kill', ['-KILL', String(pid)]);
      }
    }
  });
});

test('after a failed exec the undo handle is close-on-exec again: a posix_spawn child does not keep the unit', async (t) => {
  await withDaemon(async (d) => {
    const set = setWithOneUnit(d.dir);
    const run = underIpcfsExec(d.dir, ['failed', set.key]);
    let parent = 0;
    let sleeper = 0;
    try {
      const spawned = await printed(run, /^spawned pid=(\d+)$/m);
      const slept = await printed(run, /^sleeper pid=(\d+)$/m);
      t.truthy(spawned && slept, run.out());
      t.regex(run.out(), /^execv: ENOENT$/m);
      parent = Number(spawned![1]);
      sleeper = Number(slept![1]);
      t.is(semStatus(set.path).value, '0');
      process.kill(parent, 'SIGKILL');
      t.true(await eventually(() => semStatus(set.path).value === '1'), 'back at the parent\'s death');
      t.true(existsSync(`/proc/${sleeper}`), 'while the spawned child still runs');
    } finally {
      for (const pid of [parent, sleeper]) if (pid) spawnSync('kill', ['-KILL', String(pid)]);
    }
  });
});
