/**
 * The small parts of ipc/ that the semop semantics tests only touch in passing: errno names,
 * limits parsing, ipcperms classes and IPC_SET, undo bookkeeping, the registry's ids, keys and
 * limits. Each assertion pins one rule, with the exact errno.
 */
import test from 'ava';
import { Errno, ErrnoError, errnoName, fail } from '../../../ipc/errno.js';
import { LINUX_SEM_LIMITS, SEM_VALUE_MAX, parseSemLimits } from '../../../ipc/semaphores/limits.js';
import { ALTER, READ, checkOwner, checkPerm, ipcSet, permitted } from '../../../ipc/semaphores/perms.js';
import { IPC_CREAT, IPC_EXCL, IPC_PRIVATE, SysvRegistry, newPosix, newPosixSet, newUnnamedId } from '../../../ipc/semaphores/registry.js';
import { SemSet } from '../../../ipc/semaphores/sem-set.js';
import { UndoHolder } from '../../../ipc/semaphores/undo.js';
import { DEFAULT_LIMITS, quotaFor } from '../../../ipc/limits.js';
import { errnoOf, noop, thrown } from '../../helpers/errno.js';


test('ErrnoError: errno, symbolic code, default message, name; fail throws it', (t) => {
  const e = new ErrnoError(Errno.EAGAIN);
  t.is(e.errno, 11);
  t.is(e.code, 'EAGAIN');
  t.is(e.message, 'EAGAIN');
  t.is(e.name, 'ErrnoError');
  t.true(e instanceof Error);
  t.is(new ErrnoError(Errno.EIDRM, 'gone').message, 'gone');
  t.is(errnoName(Errno.ERANGE), 'ERANGE');
  t.is(errnoName(Errno.EWOULDBLOCK), 'EAGAIN', 'one number, two names: the usual one');
  t.is(errnoName(Errno.EOPNOTSUPP), 'ENOTSUP');
  t.is(errnoName(9999), 'E#9999');
  const f = thrown(() => fail(Errno.ENOSPC, 'full'));
  t.is(f.errno, Errno.ENOSPC);
  t.is(f.message, 'full');
});

test('parseSemLimits: fields over the base, and every kind of bad field refused by name', (t) => {
  t.deepEqual(parseSemLimits(''), LINUX_SEM_LIMITS);
  t.deepEqual(parseSemLimits('semmni=7,,semaem=9'), { ...LINUX_SEM_LIMITS, semmni: 7, semaem: 9 });
  t.deepEqual(parseSemLimits('semvmx=5', { ...LINUX_SEM_LIMITS, semopm: 3 }), { ...LINUX_SEM_LIMITS, semopm: 3, semvmx: 5 });
  t.is(parseSemLimits('semmns=1').semmns, 1, '1 is the smallest allowed');
  t.is(parseSemLimits('semmni=17').semmni, 17, 'several digits');
  for (const bad of ['semopm', 'semopm=', '=3', 'semopm=x', 'semopm=1x', 'semopm=x1', 'semopm=-1', 'semopm=0', 'toString=1', 'semfoo=1']) {
    t.throws(() => parseSemLimits(bad), { message: new RegExp(`^bad semaphore limit "${bad}" \\(semmsl, semmns, semopm, semmni, semvmx, semaem, positive integers\\)$`) }, bad);
  }
  t.is(SEM_VALUE_MAX, 2 ** 31 - 1);
});

test('ipcperms: owner class for owner and creator, group class for either group (and supplementary groups), others, root', (t) => {
  const perm = { uid: 10, gid: 20, cuid: 11, cgid: 21, mode: 0o751 };
  for (const uid of [10, 11]) {
    t.true(permitted(perm, { uid, gid: 99 }, READ | ALTER), `owner class: uid ${uid}`);
  }
  t.true(permitted({ ...perm, mode: 0o700 }, { uid: 10, gid: 20 }, READ | ALTER | 1));
  t.false(permitted({ ...perm, mode: 0o077 }, { uid: 10, gid: 20 }, READ), 'the owner class applies even when group bits would allow');
  for (const gid of [20, 21]) {
    t.true(permitted(perm, { uid: 99, gid }, READ), `group class: gid ${gid}`);
    t.false(permitted(perm, { uid: 99, gid }, ALTER), `group class has no alter: gid ${gid}`);
  }
  t.true(permitted(perm, { uid: 99, gid: 99, groups: [5, 21] }, READ), 'a supplementary group');
  t.false(permitted(perm, { uid: 99, gid: 99, groups: [5] }, READ), 'not in any group: other class');
  t.false(permitted(perm, { uid: 99, gid: 99 }, READ), 'other class: --x');
  t.true(permitted(perm, { uid: 99, gid: 99 }, 1));
  t.true(permitted(perm, { uid: 99, gid: 99 }, 0), 'nothing asked');
  t.true(permitted({ ...perm, mode: 0 }, { uid: 0, gid: 0 }, READ | ALTER), 'root');
  t.true(permitted({ ...perm, mode: 0o004 }, { uid: 99, gid: 99 }, READ | 0o10), 'only the low 3 bits asked count');
  const e = thrown(() => checkPerm(perm, { uid: 99, gid: 99 }, READ, 'semctl'));
  t.is(e.errno, Errno.EACCES);
  t.is(e.message, 'semctl: permission denied');
  t.notThrows(() => checkPerm(perm, { uid: 99, gid: 20 }, READ, 'x'));
});

test('ipcperms with supplementary groups unknown (null): only what both the group and the others grant', (t) => {
  const perm = { uid: 10, gid: 20, cuid: 11, cgid: 21, mode: 0o606 };
  t.false(permitted(perm, { uid: 99, gid: 99, groups: null }, READ), 'others grant read, the group class does not: maybe in the group');
  t.true(permitted(perm, { uid: 99, gid: 99, groups: [] }, READ), 'known to be in no group: others');
  t.true(permitted({ ...perm, mode: 0o066 }, { uid: 99, gid: 99, groups: null }, READ | ALTER), 'both grant: granted');
  t.false(permitted({ ...perm, mode: 0o060 }, { uid: 99, gid: 99, groups: null }, READ), 'the group alone: maybe not in it');
  t.true(permitted({ ...perm, mode: 0o060 }, { uid: 99, gid: 20, groups: null }, READ), 'the primary gid decides without the supplementary groups');
  t.true(permitted({ ...perm, mode: 0o600 }, { uid: 10, gid: 99, groups: null }, READ | ALTER), 'the owner class needs no groups');
});

test('IPC_SET: owner, creator or root; sets uid, gid and the low 9 bits of mode only', (t) => {
  const perm = { uid: 10, gid: 20, cuid: 11, cgid: 21, mode: 0o1640 };
  const e = thrown(() => ipcSet(perm, { uid: 12, gid: 20 }, { mode: 0o777 }));
  t.is(e.errno, Errno.EPERM);
  t.is(e.message, 'IPC_SET: not the owner or creator');
  t.is(perm.mode, 0o1640, 'a refused IPC_SET changes nothing');
  ipcSet(perm, { uid: 11, gid: 0 }, { mode: 0o7602 });
  t.deepEqual(perm, { uid: 10, gid: 20, cuid: 11, cgid: 21, mode: 0o1602 });
  ipcSet(perm, { uid: 0, gid: 0 }, { uid: 30 });
  t.deepEqual(perm, { uid: 30, gid: 20, cuid: 11, cgid: 21, mode: 0o1602 });
  ipcSet(perm, { uid: 30, gid: 0 }, { gid: 40 });
  t.deepEqual(perm, { uid: 30, gid: 40, cuid: 11, cgid: 21, mode: 0o1602 });
  t.notThrows(() => checkOwner(perm, { uid: 0, gid: 0 }, 'rmid'));
  t.notThrows(() => checkOwner(perm, { uid: 11, gid: 0 }, 'rmid'));
  t.is(errnoOf(() => checkOwner(perm, { uid: 10, gid: 0 }, 'rmid')), Errno.EPERM, 'the old owner no longer');
});

test('undo bookkeeping: adjustments sum, vanish at 0, are cleared per semaphore, forgotten per set; release applies once', (t) => {
  const s = new SemSet({ nsems: 3, max: 100, overflowErrno: Errno.ERANGE, maxAdj: 100, maxOps: 10 }, [50, 50, 50]);
  const other = new SemSet({ nsems: 1, max: 100, overflowErrno: Errno.ERANGE, maxAdj: 100, maxOps: 10 }, [50]);
  const h = new UndoHolder(7, 'job');
  t.is(h.pid, 7);
  t.is(h.comm, 'job');
  t.is(h.get(s, 0), 0);
  h.add(s, 2, 4);
  h.add(s, 0, -3);
  h.add(s, 0, -1);
  t.deepEqual(h.entries(s), [[0, -4], [2, 4]], 'summed, sorted by number');
  h.add(s, 2, -4);
  t.deepEqual(h.entries(s), [[0, -4]], 'an adjustment back at 0 is dropped');
  t.deepEqual(s.undoHolders(), [h]);
  h.add(other, 0, 5);
  h.clear(s, 0);
  t.deepEqual(h.entries(s), []);
  t.deepEqual(s.undoHolders(), [], 'a holder with nothing left on the set is not listed');
  h.clear(new SemSet({ nsems: 1, max: 1, overflowErrno: Errno.ERANGE, maxAdj: 1, maxOps: 1 }), 0); // unknown set: no-op
  h.add(s, 1, 2);
  h.forget(s);
  t.deepEqual(h.entries(s), []);
  h.release();
  t.true(h.released);
  t.deepEqual(s.values, [50, 50, 50], 'forgotten: nothing applied to s');
  t.deepEqual(other.values, [55]);
  h.release();
  t.deepEqual(other.values, [55], 'a second release applies nothing');
  t.deepEqual(h.entries(other), []);
});

test('registry: ids are slot + 32768 * sequence; keys map to sets; remove frees the slot, the key and the semaphores', (t) => {
  const r = new SysvRegistry({ ...LINUX_SEM_LIMITS, semmns: 5 }, () => 1234);
  const who = { uid: 1000, gid: 100, pid: 1 };
  const a = r.semget(0x10, 2, IPC_CREAT | 0o1640, who);
  const b = r.semget(IPC_PRIVATE, 2, 0o600, who);
  t.is(a.id, 0);
  t.is(b.id, 1 + 32768);
  t.is(a.key, 0x10);
  t.deepEqual(a.perm, { uid: 1000, gid: 100, cuid: 1000, cgid: 100, mode: 0o640 });
  t.deepEqual([a.set.nsems, a.set.opts.max, a.set.opts.overflowErrno, a.set.opts.maxAdj, a.set.opts.maxOps, a.set.ctime], [2, 32767, Errno.ERANGE, 32767, 500, 1234]);
  t.is(r.lookupKey(0x10), a);
  t.is(r.lookupKey(IPC_PRIVATE), undefined, 'IPC_PRIVATE is never a key');
  t.is(r.get(b.id), b);
  t.deepEqual(r.all(), [a, b]);
  const e = thrown(() => r.semget(IPC_PRIVATE, 2, 0o600, who));
  t.is(e.errno, Errno.ENOSPC, 'SEMMNS: 4 + 2 > 5');
  t.is(e.message, 'semget: SEMMNS (semaphores) limit (5) reached for everyone');
  t.is(r.semget(IPC_PRIVATE, 1, 0o600, who).id, 2 + 2 * 32768, '4 + 1 = 5 fits');
  let waiter = -1;
  a.set.semop([{ num: 0, op: -1 }], 1, null, (err) => (waiter = err));
  r.remove(a);
  t.is(waiter, Errno.EIDRM);
  t.true(a.set.removed);
  t.is(r.lookupKey(0x10), undefined);
  t.is(r.get(a.id), undefined);
  r.remove(a); // twice: nothing more is freed
  const c = r.semget(0x10, 2, IPC_CREAT | 0o600, who);
  t.is(c.id, 0 + 3 * 32768, 'slot 0 reused with the next sequence');
  t.is(errnoOf(() => r.semget(IPC_PRIVATE, 1, 0o600, who)), Errno.ENOSPC, 'the removed set\'s 2 went back, no more');
});

test('registry: a stale handle to a removed set does not remove the set now holding its key or slot', (t) => {
  const r = new SysvRegistry();
  const who = { uid: 0, gid: 0, pid: 1 };
  const a = r.semget(0x20, 1, IPC_CREAT, who);
  r.remove(a);
  const b = r.semget(0x20, 1, IPC_CREAT, who);
  r.remove(a);
  t.is(r.lookupKey(0x20), b);
  t.is(r.get(b.id), b);
  t.false(b.set.removed);
});

test('semget: nsems checked against SEMMSL and integrality; SEMMNI; access bits from every class of flags', (t) => {
  const r = new SysvRegistry({ ...LINUX_SEM_LIMITS, semmsl: 4, semmni: 2 });
  const who = { uid: 1000, gid: 100, pid: 1 };
  for (const n of [-1, 5, 1.5, NaN]) {
    const e = thrown(() => r.semget(IPC_PRIVATE, n, 0o600, who));
    t.is(e.errno, Errno.EINVAL, String(n));
    t.is(e.message, 'nsems must be in 0..4');
  }
  t.is(r.semget(IPC_PRIVATE, 4, 0o600, who).set.nsems, 4, 'SEMMSL itself is allowed');
  const k = r.semget(0x30, 1, IPC_CREAT | 0o604, who);
  t.is(r.semget(0x30, 0, 0, who), k, 'nsems 0 finds an existing set');
  t.is(r.semget(0x30, 1, IPC_CREAT, who), k, 'IPC_CREAT without IPC_EXCL finds it');
  t.is(r.semget(0x30, 1, IPC_EXCL, who), k, 'IPC_EXCL without IPC_CREAT finds it');
  const stranger = { uid: 5, gid: 5, pid: 2 };
  t.is(r.semget(0x30, 1, 0o004, stranger), k, 'others may read');
  for (const flags of [0o002, 0o020, 0o200, 0o400 | 0o002]) {
    const denied = thrown(() => r.semget(0x30, 1, flags, stranger));
    t.deepEqual([denied.errno, denied.message], [Errno.EACCES, 'semget: permission denied'], flags.toString(8));
  }
  const e = thrown(() => r.semget(IPC_PRIVATE, 1, 0o600, who));
  t.is(e.errno, Errno.ENOSPC);
  t.is(e.message, 'semget: SEMMNI (System V semaphore sets) limit (2) reached for everyone');
  t.is(thrown(() => r.semget(0x31, 1, 0, who)).message, 'no set with key 0x31');
  t.is(thrown(() => r.semget(0x31, 0, IPC_CREAT, who)).message, 'nsems must be at least 1 to create a set');
  t.is(thrown(() => r.semget(0x30, 1, IPC_CREAT | IPC_EXCL, who)).message, 'key 0x30 exists');
  t.is(thrown(() => r.semget(0x30, 2, 0, who)).message, 'set has 1 semaphores');
});

test('POSIX sets: value 0..SEM_VALUE_MAX, EOVERFLOW past it; named ones carry name and perms', (t) => {
  t.deepEqual(newPosixSet(0).values, [0]);
  t.deepEqual(newPosixSet(SEM_VALUE_MAX).values, [SEM_VALUE_MAX]);
  for (const v of [-1, SEM_VALUE_MAX + 1, 0.5]) {
    const e = thrown(() => newPosixSet(v));
    t.is(e.errno, Errno.EINVAL, String(v));
    t.is(e.message, `value must be in 0..${SEM_VALUE_MAX}`);
  }
  const s = newPosixSet(1, { ...LINUX_SEM_LIMITS, semopm: 2 }, () => 77);
  t.deepEqual([s.opts.max, s.opts.overflowErrno, s.opts.maxAdj, s.opts.maxOps, s.ctime], [SEM_VALUE_MAX, Errno.EOVERFLOW, SEM_VALUE_MAX, 2, 77]);
  const p = newPosix('/a/b', 3, 0o4751, { uid: 7, gid: 8 }, quotaFor(DEFAULT_LIMITS), () => 5);
  t.is(p.name, '/a/b');
  t.deepEqual(p.set.values, [3]);
  t.is(p.set.ctime, 5);
  t.deepEqual(p.perm, { uid: 7, gid: 8, cuid: 7, cgid: 8, mode: 0o751 });
  t.is(errnoOf(() => s.semop([{ num: 0, op: 1 }, { num: 0, op: 1 }, { num: 0, op: 1 }], 1, null, noop)), Errno.E2BIG, 'SEMOPM 2: 3 ops are too many');
  t.is(s.semop([{ num: 0, op: 1 }, { num: 0, op: 1 }], 1, null, noop), 'done');
});

test('unnamed ids: 8 upper-case hex digits, zero-padded, never one already taken', (t) => {
  const seq = [0.5, 0.5, 0x1f / 0x100000000, 0.999999999];
  const ids = [newUnnamedId((id) => id === '80000000', () => seq.shift()!), newUnnamedId(() => false, () => 0.999999999)];
  t.deepEqual(ids, ['0000001F', 'FFFFFFFB']);
});
