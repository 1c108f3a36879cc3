/**
 * Two defects mutation testing found in ipc/, through a real mount:
 * - errnoName gave the last of two names for one number, so every EAGAIN (trywait, IPC_NOWAIT)
 *   was logged as EWOULDBLOCK;
 * - --sem-limits accepted keys inherited from Object.prototype ("toString=1") as limits.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { eventually, mountTest, startDaemon, stopDaemon, withDaemon } from '../../helpers/mount.js';

const test = mountTest();

test('a refused trywait is logged as EAGAIN, not EWOULDBLOCK', async (t) => {
  await withDaemon(async (d) => {
    const clone = join(d.dir, 'semaphores', 'named', '.new');
    const mk = spawnSync('bash', ['-c', `exec 3<>"$1"; printf 'create s value=0\\n' >&3 && cat <&3`, 'x', clone], { encoding: 'utf8' });
    t.is(mk.status, 0, mk.stderr);
    const r = spawnSync('bash', ['-c', `printf 'trywait\\n' > "$1"`, 'x', join(d.dir, 'semaphores', 'named', 's')], { encoding: 'utf8' });
    t.regex(r.stderr, /Resource temporarily unavailable/);
    // spawnSync held the event loop: let the daemon's log reach us (a handshake on its content).
    t.true(await eventually(() => /"msg":"error reply"/.test(d.stderr())), 'the error reply is logged');
    const replies = d.stderr().split('\n').filter((l) => l.includes('"error reply"'));
    t.true(replies.some((l) => l.includes('"errno":"EAGAIN"')), replies.join('\n'));
    t.false(replies.some((l) => l.includes('EWOULDBLOCK')), replies.join('\n'));
  }, { logLevel: 'debug' });
});

test('--sem-limits refuses a key that is not a limit, even one every object has (toString)', async (t) => {
  const outcome = await startDaemon({ args: ['--sem-limits', 'toString=1'] }).then(
    async (d) => {
      await stopDaemon(d);
      return 'mounted';
    },
    (err: Error) => err.message,
  );
  t.regex(outcome, /^daemon exited 1: .*bad limit "toString=1"/s);
});
