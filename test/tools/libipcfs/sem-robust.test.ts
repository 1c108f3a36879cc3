/**
 * Robustness proof (issue 10, item 4): a program linked with libipcfs takes a token with
 * sem_wait_robust, the semaphore's status shows it as the holder, and when the program is
 * SIGKILLed the token comes back. A child it forked does not keep the token alive.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtWithLibipcfs } from '../../helpers/c-helper.js';
import { eventually, mountTest, printed, sh, withDaemon } from '../../helpers/mount.js';

const test = mountTest();
const program = () => builtWithLibipcfs('test/tools/libipcfs/sem-robust.c');

function status(dir: string, name: string): string {
  return readFileSync(join(dir, 'semaphores', 'named', name), 'utf8');
}

for (const mode of ['', 'fork', 'calls', 'inherited'] as const) {
  test(`a token taken with sem_wait_robust comes back when its holder is SIGKILLed${mode === 'fork' ? ' (its forked child still running)' : mode === 'calls' ? ' (after trywait, timedwait and post robust)' : mode === 'inherited' ? ' (a fork child, its parent still running)' : ''}`, async (t) => {
    await withDaemon(async (d) => {
      const name = `robust${mode}`;
      writeFileSync(join(d.dir, 'semaphores', 'named', '.new'), `create ${name} value=1`);
      const c = sh(`IPCFS_MOUNT=${d.dir} exec ${program()} /${name} ${mode}`);
      const m = await printed(c, /holding (\d+)/);
      t.truthy(m, c.out());
      const pid = Number(m![1]);
      const child = mode === 'fork' ? Number(/child (\d+)/.exec(c.out())![1]) : 0;
      if (mode === 'calls') {
        t.true(
          c.out().startsWith('trywait_robust: 0\ntrywait_robust empty: EAGAIN\ntimedwait_robust past: ETIMEDOUT\n' +
            'timedwait_robust bad nsec: EINVAL\npost_robust: 0\n'),
          c.out(),
        );
      }
      const held = status(d.dir, name);
      t.regex(held, /^value: 0$/m);
      t.regex(held, new RegExp(`^undo: pid=${pid} comm=\\S+ sem=0 adj=1$`, 'm'));
      process.kill(pid, 'SIGKILL');
      t.true(await eventually(() => /^value: 1$/m.test(status(d.dir, name))), status(d.dir, name));
      t.notRegex(status(d.dir, name), /^undo:/m);
      if (mode === 'inherited') process.kill(c.child.pid!, 'SIGKILL');
      if (child) {
        t.is(readFileSync(`/proc/${child}/stat`, 'utf8').split(' ')[2] !== 'Z', true, 'the child still runs');
        process.kill(child, 'SIGKILL');
      }
      await c.done;
    });
  });
}
