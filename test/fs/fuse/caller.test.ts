/** The caller's process and supplementary groups, read from /proc only when asked. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import test from 'ava';
import { RequestCaller, groupsOf } from '../../../fs/fuse/caller.js';

test('supplementary groups come from /proc/<tid>/status, as the process sees them', (t) => {
  // Node's getgroups() adds the effective gid; /proc lists the supplementary groups alone
  const mine = groupsOf(process.pid) ?? [];
  const all = new Set(process.getgroups!());
  for (const g of mine) t.true(all.has(g), `${g} is one of the process's groups`);
  for (const g of all) if (g !== process.getegid!()) t.true(mine.includes(g), `${g} is listed`);
  t.deepEqual(new RequestCaller(0, 0, process.pid).groups, groupsOf(process.pid));
  t.is(groupsOf(0), null, 'a request from the kernel itself (or another pid namespace): not known');
  t.is(groupsOf(2 ** 22 + 1), null, 'a thread that does not exist: not known');
});

test('a process with other groups is seen with them (setpriv --groups)', async (t) => {
  const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--groups=4242,4343', '--', 'sleep', '5'], { stdio: 'ignore' });
  try {
    // handshake: the child has exec'd sleep, so setpriv has set its groups (read nothing before: it is cached)
    const deadline = Date.now() + 5000;
    const comm = (): string => {
      try {
        return readFileSync(`/proc/${child.pid!}/comm`, 'utf8').trim();
      } catch {
        return '';
      }
    };
    while (comm() !== 'sleep' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    t.deepEqual([...(new RequestCaller(65534, 65534, child.pid!).groups ?? [])].sort(), [4242, 4343]);
  } finally {
    child.kill('SIGKILL');
  }
});
