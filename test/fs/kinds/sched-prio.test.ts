/**
 * fs/kinds/sched-prio.ts reads a thread's priority as the kernel's wait lists use it: the futex's
 * min(normal_prio, 100) and mqueue's task->prio. Threads are made by the outside tools (chrt, nice)
 * and each number is checked against what those tools set; a thread the kernel does not know counts as
 * a normal one.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import test from 'ava';
import { futexPrioOf, taskPrioOf } from '../../../fs/kinds/sched-prio.js';
import { eventually } from '../../helpers/mount.js';

async function started(argv: string[]): Promise<{ pid: number; stop: () => void }> {
  const c = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  const pid = c.pid!;
  const comm = (): string => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  // the handshake: the tool has set the priority and exec'd sleep
  if (!(await eventually(() => comm() === 'sleep'))) throw new Error(`${argv.join(' ')} did not start`);
  return { pid, stop: () => void c.kill('SIGKILL') };
}

test('a normal thread: the futex puts every one at 100; mqueue at 120 + nice', async (t) => {
  const c = await started(['nice', '-n', '7', 'sleep', '30']);
  try {
    t.is(futexPrioOf(c.pid), 100);
    t.is(taskPrioOf(c.pid), 127);
  } finally {
    c.stop();
  }
});

test('a real-time thread (root): 99 - its priority for both, SCHED_RR as SCHED_FIFO', async (t) => {
  if (process.getuid?.() !== 0) return t.pass('not root: cannot set SCHED_FIFO');
  for (const [flag, prio] of [['-f', 17], ['-r', 60]] as const) {
    const c = await started(['chrt', flag, String(prio), 'sleep', '30']);
    try {
      t.is(futexPrioOf(c.pid), 99 - prio);
      t.is(taskPrioOf(c.pid), 99 - prio);
    } finally {
      c.stop();
    }
  }
});

test('a thread the kernel does not know (gone, pid 0) is a normal one', (t) => {
  t.is(futexPrioOf(0), 100);
  t.is(taskPrioOf(0), 120);
  t.is(futexPrioOf(2 ** 22 + 12345), 100);
  t.is(taskPrioOf(-1), 120);
});
