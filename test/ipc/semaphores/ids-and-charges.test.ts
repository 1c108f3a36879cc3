/**
 * IPC_SET's id checks (perms.ts checkId, Linux's uid_valid/gid_valid) and what the registry
 * charges to whom (registry.ts with ipc/quota.ts): exact errnos and messages, and that a refusal
 * changes nothing.
 */
import test from 'ava';
import { DEFAULT_LIMITS, parseLimits, quotaFor } from '../../../ipc/limits.js';
import { INVALID_ID, checkId, ipcSet, type IpcPerm } from '../../../ipc/semaphores/perms.js';
import { IPC_CREAT, IPC_PRIVATE, SysvRegistry, newPosix } from '../../../ipc/semaphores/registry.js';
import { refusal } from '../../helpers/errno.js';

test('checkId: 0 .. 2^32-2 are ids; (uid_t)-1, negatives, fractions and 2^32 are EINVAL naming the field', (t) => {
  t.is(INVALID_ID, 2 ** 32 - 1);
  for (const id of [0, 1, 65534, 2 ** 32 - 2]) t.notThrows(() => checkId(id, 'uid'), String(id));
  for (const id of [-1, -5, 2 ** 32 - 1, 2 ** 32, 1.5, NaN]) t.deepEqual(refusal(() => checkId(id, 'gid')), ['EINVAL', `gid=${id}: not a valid id (0..4294967294)`], String(id));
});

test('IPC_SET: a bad id is EINVAL before the owner check, and nothing changes when either id is bad', (t) => {
  const perm: IpcPerm = { uid: 10, gid: 20, cuid: 10, cgid: 20, mode: 0o600 };
  const before = { ...perm };
  t.deepEqual(refusal(() => ipcSet(perm, { uid: 99, gid: 99 }, { uid: -1 })), ['EINVAL', 'uid=-1: not a valid id (0..4294967294)'], 'a stranger gets EINVAL first');
  t.deepEqual(refusal(() => ipcSet(perm, { uid: 99, gid: 99 }, { uid: 5 })), ['EPERM', 'IPC_SET: not the owner or creator']);
  t.deepEqual(refusal(() => ipcSet(perm, { uid: 10, gid: 20 }, { uid: 11, gid: 2 ** 32, mode: 0o644 })), ['EINVAL', 'gid=4294967296: not a valid id (0..4294967294)']);
  t.deepEqual(perm, before);
  ipcSet(perm, { uid: 10, gid: 20 }, { uid: 2 ** 32 - 2, gid: 0 });
  t.like(perm, { uid: 2 ** 32 - 2, gid: 0, cuid: 10, cgid: 20 });
});

test('semget charges the creator one object, one set and nsems semaphores; past its uid-objects it is ENOSPC and takes no id', (t) => {
  const q = quotaFor(parseLimits('uid-objects=2,uid-semaphores=5'));
  const r = new SysvRegistry(DEFAULT_LIMITS, () => 1, q);
  const who = { uid: 1000, gid: 100, pid: 1 };
  const a = r.semget(0x41, 3, IPC_CREAT | 0o600, who);
  t.deepEqual([q.usedBy(1000, 'objects'), q.usedBy(1000, 'semSets'), q.usedBy(1000, 'semaphores')], [1, 1, 3]);
  t.deepEqual(a.charge.amounts, { objects: 1, semSets: 1, semaphores: 3 });
  t.deepEqual(refusal(() => r.semget(IPC_PRIVATE, 3, 0o600, who)), ['ENOSPC', 'semget: SEMMNS (semaphores) limit per user (5) reached for uid 1000']);
  t.is(r.semget(0x41, 3, 0o600, { uid: 1000, gid: 100, pid: 2 }), a, 'finding a set charges nothing');
  const b = r.semget(IPC_PRIVATE, 2, 0o600, who);
  t.deepEqual(refusal(() => r.semget(0x42, 1, IPC_CREAT | 0o600, who)), ['ENOSPC', 'semget: objects limit per user (2) reached for uid 1000']);
  t.is(r.lookupKey(0x42), undefined);
  t.deepEqual(r.all(), [a, b]);
  t.is(r.semget(0x42, 1, IPC_CREAT | 0o600, { uid: 0, gid: 0, pid: 3 }).charge.uid, 0, 'another uid (root) still can');
  r.remove(a);
  t.false(a.charge.live);
  t.deepEqual([q.usedBy(1000, 'objects'), q.usedBy(1000, 'semaphores'), q.used('semSets')], [1, 2, 2]);
  t.is(r.semget(IPC_PRIVATE, 3, 0o600, who).set.nsems, 3, 'what removal gave back can be taken again');
});

test('values(): the sets in creation order, live (removals and new sets seen by a running iterator)', (t) => {
  const r = new SysvRegistry();
  const who = { uid: 0, gid: 0, pid: 1 };
  const [a, b, c] = [1, 2, 3].map(() => r.semget(IPC_PRIVATE, 1, 0o600, who));
  const it = r.values();
  t.is(it.next().value, a);
  r.remove(b!);
  const d = r.semget(IPC_PRIVATE, 1, 0o600, who);
  t.deepEqual([...it], [c, d]);
});

test('newPosix charges one object and one semaphore to its creator (sem_open); a bad value charges nothing', (t) => {
  const q = quotaFor(parseLimits('uid-objects=1'));
  const p = newPosix('/x', 0, 0o600, { uid: 1000, gid: 100 }, q);
  t.deepEqual(p.charge.amounts, { objects: 1, semaphores: 1 });
  t.is(p.charge.uid, 1000);
  t.deepEqual(refusal(() => newPosix('/y', 0, 0o600, { uid: 1000, gid: 100 }, q)), ['ENOSPC', 'sem_open: objects limit per user (1) reached for uid 1000']);
  t.deepEqual(refusal(() => newPosix('/z', -1, 0o600, { uid: 1001, gid: 100 }, q)), ['EINVAL', 'value must be in 0..2147483647']);
  t.is(q.usedBy(1001, 'objects'), 0);
  p.charge.release();
  t.is(q.used('objects'), 0);
});

test('a stale remove does not free the slot of the set that now holds it', (t) => {
  const r = new SysvRegistry();
  const who = { uid: 0, gid: 0, pid: 1 };
  const a = r.semget(IPC_PRIVATE, 1, 0o600, who);
  r.remove(a);
  const b = r.semget(IPC_PRIVATE, 1, 0o600, who);
  t.is(b.id % 32768, a.id % 32768, 'b took a\'s slot');
  r.remove(a);
  t.is(r.semget(IPC_PRIVATE, 1, 0o600, who).id % 32768, 1, 'the slot is still b\'s');
  t.is(r.get(b.id), b);
});
