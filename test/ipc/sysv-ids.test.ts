/**
 * ipc/sysv-ids.ts on its own: ipcperms' requested mode, a new ipc_perm, ipcget's key half (with
 * its messages), and ids as the module documents them (ipc/util.c before Linux 5.x's cyclic
 * allocation: the lowest free slot, and a sequence that grows with every creation and wraps after
 * INT_MAX >> IPCMNI_SHIFT = 65535 to 0). Linux 6 allocates slots cyclically and bumps the sequence
 * only when they wrap; ipcfs's ids are its own, and no test compares them with the kernel's.
 */
import test from 'ava';
import { thrown } from '../helpers/errno.js';
import type { IpcPerm, Who } from '../../ipc/semaphores/perms.js';
import { IPC_CREAT, IPC_EXCL, IPC_PRIVATE, newPerm, requestedMode, SEQ_MULTIPLIER, SysvIds } from '../../ipc/sysv-ids.js';

interface Obj { id: number; key: number; perm: IpcPerm }

const alice: Who = { uid: 1000, gid: 1000 };
const bob: Who = { uid: 1001, gid: 1001 };

function ids(): { r: SysvIds<Obj>; add: (key: number, mode?: number) => Obj } {
  const r = new SysvIds<Obj>();
  return { r, add: (key, mode = 0o600) => r.add(key, (id) => ({ id, key, perm: newPerm(alice, mode) })) };
}

test('requestedMode: any of the rwx bits asked in any class, IPC_CREAT/IPC_EXCL ignored', (t) => {
  t.is(requestedMode(0o400), 4);
  t.is(requestedMode(0o040), 4);
  t.is(requestedMode(0o004), 4);
  t.is(requestedMode(0o200 | 0o010), 3);
  t.is(requestedMode(0o421), 7);
  t.is(requestedMode(IPC_CREAT | IPC_EXCL), 0);
  t.is(requestedMode(IPC_CREAT | IPC_EXCL | 0o777), 7);
  t.is(requestedMode(0), 0);
});

test('newPerm: owner and creator are who, the mode keeps its low 9 bits only', (t) => {
  t.deepEqual(newPerm({ uid: 5, gid: 6 }, IPC_CREAT | IPC_EXCL | 0o1640), { uid: 5, gid: 6, cuid: 5, cgid: 6, mode: 0o640 });
});

test('add: the lowest free slot and the next sequence; remove frees the slot, the key and the id once', (t) => {
  const { r, add } = ids();
  const a = add(10);
  const b = add(IPC_PRIVATE);
  const c = add(12);
  t.deepEqual([a.id, b.id, c.id], [0, 1 + SEQ_MULTIPLIER, 2 + 2 * SEQ_MULTIPLIER]);
  t.is(r.size, 3);
  t.deepEqual([...r.values()], [a, b, c]);
  t.is(r.lookupKey(IPC_PRIVATE), undefined, 'IPC_PRIVATE is never a key');
  t.true(r.remove(b));
  t.false(r.remove(b), 'no longer registered');
  t.is(r.get(b.id), undefined);
  t.is(r.size, 2);
  t.true(r.remove(a));
  t.is(r.lookupKey(10), undefined);
  const d = add(10);
  t.is(d.id, 0 + 3 * SEQ_MULTIPLIER, 'slot 0 (the lowest free, not slot 1), sequence 3');
  t.is(r.lookupKey(10), d);
  const e = add(13);
  t.is(e.id, 1 + 4 * SEQ_MULTIPLIER, 'then slot 1');
  t.is(add(14).id, 3 + 5 * SEQ_MULTIPLIER, 'then past the end');
  t.is(r.get(c.id), c);
});

test('remove of a stale object with a key now held by another leaves the key and the slot to the new one', (t) => {
  const { r, add } = ids();
  const a = add(10);
  r.remove(a);
  const b = add(10);
  t.false(r.remove(a));
  t.is(r.lookupKey(10), b);
  t.is(add(11).id, 1 + 2 * SEQ_MULTIPLIER, 'slot 0 is still b\'s');
});

test('the sequence wraps after 65535 to 0', (t) => {
  const { r, add } = ids();
  for (let i = 0; i < 65535; i++) r.remove(add(IPC_PRIVATE));
  const last = add(IPC_PRIVATE);
  t.is(last.id, 65535 * SEQ_MULTIPLIER);
  r.remove(last);
  t.is(add(IPC_PRIVATE).id, 0, 'sequence 0 again, slot 0');
});

test('existing: IPC_PRIVATE is always new; EEXIST, EACCES, ENOENT with their messages; found otherwise', (t) => {
  const { r, add } = ids();
  const perm = (o: Obj): IpcPerm => o.perm;
  const a = add(-1, 0o640);
  t.is(r.existing(IPC_PRIVATE, IPC_CREAT | IPC_EXCL, alice, perm, 'msgget'), null);
  const eexist = thrown(() => r.existing(-1, IPC_CREAT | IPC_EXCL, alice, perm, 'msgget'));
  t.deepEqual([eexist.code, eexist.message], ['EEXIST', 'key 0xffffffff exists']);
  t.is(r.existing(-1, IPC_CREAT, alice, perm, 'msgget'), a, 'IPC_CREAT alone finds it');
  t.is(r.existing(-1, IPC_EXCL, alice, perm, 'msgget'), a, 'IPC_EXCL alone finds it');
  t.is(r.existing(-1, 0, bob, perm, 'msgget'), a, 'no mode asked: no check');
  const eacces = thrown(() => r.existing(-1, 0o004, bob, perm, 'msgget'));
  t.deepEqual([eacces.code, eacces.message], ['EACCES', 'msgget: permission denied']);
  t.is(r.existing(-1, 0o040, alice, perm, 'msgget'), a, 'the owner asks for read: granted by 0o6..');
  const enoent = thrown(() => r.existing(0x2a, IPC_EXCL, alice, perm, 'msgget', 'queue'));
  t.deepEqual([enoent.code, enoent.message], ['ENOENT', 'no queue with key 0x2a']);
  t.is(thrown(() => r.existing(0x2a, 0, alice, perm, 'x')).message, 'no object with key 0x2a');
  t.is(r.existing(0x2a, IPC_CREAT, alice, perm, 'x'), null, 'IPC_CREAT: a new one must be made');
});
