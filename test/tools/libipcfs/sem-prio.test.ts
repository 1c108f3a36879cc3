/**
 * Scheduling priority decides who a post or a send wakes, as on Linux: sem-prio.c queues waiters
 * of SCHED_FIFO, SCHED_RR and SCHED_OTHER (several nice values) one by one and wakes them one at a
 * time, as Open POSIX sem_post/8-1 does. The kernel's order for a glibc semaphore (the futex: real-
 * time tasks by priority, every other task equal, FIFO among equals) and for a POSIX message queue
 * (wq_add: task->prio, so the other tasks by nice too), for a named and a process-shared unnamed
 * semaphore is the oracle, taken at run time in a private
 * IPC namespace; libipcfs on a fresh mount must print the same. The native output is also checked
 * to show the priorities at work (a machine where they would not would prove nothing). A waiter
 * whose priority changes while it waits keeps its place in both (Linux sorts non-PI futex waiters
 * and mqueue waiters once, when they queue).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { builtOnce, LIBIPCFS_BUILD, LIBIPCFS_DIR } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';

const test = mountTest();
const SOURCE = 'test/tools/libipcfs/sem-prio.c';

function run(argv: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.status ?? r.signal} ${r.stdout}${r.stderr}`);
  return r.stdout;
}

for (const [kind, change] of [['sem', ''], ['unnamed', ''], ['mq', ''], ['sem', 'change'], ['mq', 'change']] as const) {
  const title = change ? ': a waiter whose priority changes while it waits keeps its place' : ': waiters are woken in the priority order';
  test(`${kind}${title}, as in the kernel`, async (t) => {
    const native = builtOnce(SOURCE);
    const ipcfs = builtOnce(SOURCE, ['-DUSE_IPCFS', '-I', LIBIPCFS_DIR, join(LIBIPCFS_BUILD, 'libipcfs.a'), '-pthread']);
    const name = `/ipcfs-prio-${process.pid}`;
    const args = [kind, name, ...(change ? [change] : [])];
    const expected = run(['unshare', '--ipc', native, ...args]);
    t.regex(expected, /\w+ woke: fifo30a fifo30b fifo20 rr20 fifo10 /, 'real-time waiters first, by priority, FIFO among equals');
    await withDaemon(
      async (d) => {
        t.is(run([ipcfs, ...args], { IPCFS_MOUNT: d.dir }), expected);
      },
      { args: ['--allow-other'] },
    );
  });
}
