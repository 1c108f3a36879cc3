/**
 * Robustness proof (issue 10, item 4): an unmodified System V program (plain glibc semget/semop,
 * never linked with libipcfs) that takes a unit with SEM_UNDO under `ipcfs exec` shows as the
 * unit's holder in `cat` of its set while it runs, and gives the unit back when SIGKILLed while
 * holding it, as the kernel's SEM_UNDO does.
 */
import { spawnSync } from 'node:child_process';
import { mountTest, printed, withDaemon } from '../../helpers/mount.js';
import { eventually } from '../../helpers/mount.js';
import { semStatus, setWithOneUnit, underIpcfsExec } from './preload-undo.js';

const test = mountTest();

test('a program SIGKILLed while holding a SEM_UNDO unit under ipcfs exec gives it back; cat shows it as the holder while it runs', async (t) => {
  await withDaemon(async (d) => {
    const set = setWithOneUnit(d.dir);
    const run = underIpcfsExec(d.dir, ['hold', set.key]);
    let pid = 0;
    try {
      const m = await printed(run, /^holding pid=(\d+)$/m);
      t.truthy(m, run.out());
      pid = Number(m![1]);
      const cat = spawnSync('cat', [set.path], { encoding: 'utf8' });
      t.regex(cat.stdout, /^value: 0$/m, 'the unit is taken');
      t.regex(cat.stdout, new RegExp(`^undo: pid=${pid} comm=preload-undo sem=0 adj=1$`, 'm'), 'and the program shows as its holder');
      process.kill(pid, 'SIGKILL');
      const end = await run.done;
      t.is(end.code, 137, 'ipcfs exec exits as its command: 128 + SIGKILL');
      t.true(await eventually(() => semStatus(set.path).value === '1'), 'the unit came back');
      t.deepEqual(semStatus(set.path).undo, [], 'no holder left');
    } finally {
      if (pid && run.child.exitCode === null) spawnSync('kill', ['-KILL', String(pid)]);
    }
  });
});
