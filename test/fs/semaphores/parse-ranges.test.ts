/** The ranges the command parsers accept: ids for ipc_set, semget keys, create options. */
import test from 'ava';
import { Errno, ErrnoError } from '../../../ipc/errno.js';
import { ipcSet, type IpcPerm } from '../../../ipc/semaphores/perms.js';
import { parseCommand } from '../../../fs/semaphores/commands.js';
import { options, parseKey } from '../../../fs/kinds/tokens.js';

const einval = { instanceOf: ErrnoError, code: 'EINVAL' };

test('ipc_set uid/gid: 0..4294967294 in decimal; -1, negatives, 32-bit overflow and other spellings are EINVAL', (t) => {
  t.deepEqual(parseCommand('ipc_set uid=0 gid=4294967294', 'sysv'), { verb: 'ipc_set', uid: 0, gid: 4294967294 });
  t.deepEqual(parseCommand('ipc_set uid=065534', 'sysv'), { verb: 'ipc_set', uid: 65534 });
  for (const bad of ['uid=-1', 'uid=4294967295', 'uid=4294967296', 'gid=-5', 'gid=+5', 'uid=1e3', 'uid=0x10', 'uid=', 'uid=99999999999', 'uid=1=2', 'uid=1.5']) {
    t.throws(() => parseCommand(`ipc_set ${bad}`, 'sysv'), einval, bad);
  }
});

test('IPC_SET itself refuses invalid ids before anything changes', (t) => {
  const perm: IpcPerm = { uid: 5, gid: 6, cuid: 5, cgid: 6, mode: 0o600 };
  for (const change of [{ uid: -1 }, { uid: 2 ** 32 - 1 }, { gid: 2 ** 32 }, { uid: 1.5 }, { uid: 7, gid: -5 }]) {
    t.throws(() => ipcSet(perm, { uid: 0, gid: 0 }, change), einval);
  }
  t.deepEqual(perm, { uid: 5, gid: 6, cuid: 5, cgid: 6, mode: 0o600 });
  const e = t.throws(() => ipcSet(perm, { uid: 9, gid: 9 }, { uid: -1 }));
  t.is((e as ErrnoError).errno, Errno.EINVAL, 'EINVAL comes before EPERM, as in Linux');
});

test('semget keys: 32 bits, never wrapped', (t) => {
  t.is(parseKey('private'), 0);
  t.is(parseKey('0x162e'), 0x162e);
  t.is(parseKey('0xffffffff'), -1);
  t.is(parseKey('0x80000000'), -(2 ** 31));
  t.is(parseKey('4294967295'), -1);
  t.is(parseKey('-2147483648'), -(2 ** 31));
  t.is(parseKey('2147483647'), 2 ** 31 - 1);
  t.is(parseKey('0'), 0);
  for (const bad of ['4294967296', '-2147483649', '0x100000000', '0x', '18446744073709551616', '99999999999', '1.0', '', 'Private', '0x-1']) {
    t.throws(() => parseKey(bad), einval, bad);
  }
});

test('create options: value options need a value, flags take none, nothing twice', (t) => {
  const kinds = { value: 'value', mode: 'value', excl: 'flag' } as const;
  const r = options(['a/b', 'VALUE=3', 'excl', 'mode=0644'], kinds);
  t.deepEqual(r.positional, ['a/b']);
  t.deepEqual([...r.opts], [['value', '3'], ['excl', ''], ['mode', '0644']]);
  for (const bad of [['value'], ['value='], ['excl=1'], ['value=1', 'value=2'], ['excl', 'EXCL']]) {
    t.throws(() => options(bad, kinds), einval, bad.join(' '));
  }
  t.deepEqual(options(['constructor', '__proto__'], kinds).positional, ['constructor', '__proto__'], 'only the named options count');
});
