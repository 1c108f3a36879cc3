import test from 'ava';
import { Errno, ErrnoError } from '../../../ipc/errno.js';
import { parseSemLimits } from '../../../ipc/semaphores/limits.js';
import { parseCommand } from '../../../fs/semaphores/commands.js';

test('POSIX verbs map to one operation on semaphore 0', (t) => {
  t.deepEqual(parseCommand('post undo\n', 'posix'), { verb: 'op', ops: [{ num: 0, op: 1, undo: true, nowait: false }], timeoutMs: null, timeoutErrno: Errno.ETIMEDOUT });
  t.deepEqual(parseCommand('trywait', 'posix'), { verb: 'op', ops: [{ num: 0, op: -1, undo: false, nowait: true }], timeoutMs: null, timeoutErrno: Errno.ETIMEDOUT });
  t.deepEqual(parseCommand('timedwait 1.5 undo', 'sysv'), { verb: 'op', ops: [{ num: 0, op: -1, undo: true, nowait: false }], timeoutMs: 1500, timeoutErrno: Errno.EAGAIN });
  t.deepEqual(parseCommand('wait timeout=0.25', 'posix').verb, 'op');
});

test('op arrays with per-operation flags and a timeout', (t) => {
  t.deepEqual(parseCommand('op 0:-1:undo,nowait 1:+2 2:0:SEM_UNDO|IPC_NOWAIT timeout=2', 'sysv'), {
    verb: 'op',
    ops: [
      { num: 0, op: -1, undo: true, nowait: true },
      { num: 1, op: 2, undo: false, nowait: false },
      { num: 2, op: 0, undo: true, nowait: true },
    ],
    timeoutMs: 2000,
    timeoutErrno: Errno.EAGAIN,
  });
});

test('setval, setall, ipc_set, rmid', (t) => {
  t.deepEqual(parseCommand('set 3', 'posix'), { verb: 'setval', num: 0, value: 3 });
  t.deepEqual(parseCommand('setval 2 7', 'sysv'), { verb: 'setval', num: 2, value: 7 });
  t.deepEqual(parseCommand('setall 1 2 3', 'sysv'), { verb: 'setall', values: [1, 2, 3] });
  t.deepEqual(parseCommand('ipc_set uid=5 mode=0640', 'sysv'), { verb: 'ipc_set', uid: 5, mode: 0o640 });
  t.deepEqual(parseCommand('rmid', 'sysv'), { verb: 'rmid' });
});

test('malformed commands are EINVAL with a message', (t) => {
  for (const bad of ['', 'frob', 'post 3', 'post timeout=1', 'wait forever', 'timedwait', 'timedwait soon', 'op', 'op 0', 'op 0:x', 'op 0:-1:maybe', 'op 0:70000', 'op 0:-1 undo', 'setval 0', 'setall', 'setall 1 x', 'ipc_set', 'ipc_set mode=9', 'rmid now', 'set 1.5']) {
    const e = t.throws(() => parseCommand(bad, 'sysv'), { instanceOf: ErrnoError }, bad);
    t.is(e?.errno, Errno.EINVAL, bad);
  }
});

test('semaphore limits parse over Linux defaults', (t) => {
  const l = parseSemLimits('semmsl=250,semopm=32');
  t.is(l.semmsl, 250);
  t.is(l.semopm, 32);
  t.is(l.semvmx, 32767);
  t.throws(() => parseSemLimits('semfoo=1'), { message: /bad semaphore limit "semfoo=1"/ });
  t.throws(() => parseSemLimits('semopm=0'), { message: /bad semaphore limit "semopm=0"/ });
});
