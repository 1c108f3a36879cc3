/**
 * ipc/msg/registry.ts: msgget as ipcget (IPC_PRIVATE, IPC_CREAT, IPC_EXCL, EEXIST, ENOENT, EACCES),
 * MSGMNI as ENOSPC that changes nothing, ids as ipc_buildid, IPC_RMID by owner, creator or root.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { thrown } from '../../helpers/errno.js';
import { ErrnoError } from '../../../ipc/errno.js';
import { MSG_LIMITS } from '../../../ipc/msg/limits.js';
import type { Caller } from '../../../ipc/msg/msg-queue.js';
import { IPC_CREAT, IPC_EXCL, IPC_PRIVATE, MsgRegistry } from '../../../ipc/msg/registry.js';
import { SEQ_MULTIPLIER } from '../../../ipc/sysv-ids.js';

const alice: Caller = { uid: 1000, gid: 1000, pid: 2 };
const bob: Caller = { uid: 1001, gid: 1001, pid: 3 };
const root: Caller = { uid: 0, gid: 0, pid: 1 };

/** The errno name fn threw (it must throw an ErrnoError). */
const code = (fn: () => unknown): string => thrown(fn).code;

test("Linux's defaults (the kernel's /proc/sys/kernel/msg* on a host that kept them); a new queue has msg_qbytes MSGMNB", (t) => {
  const proc = (name: string): number => Number(readFileSync(`/proc/sys/kernel/${name}`, 'utf8'));
  t.deepEqual({ ...MSG_LIMITS }, { msgmni: proc('msgmni'), msgmax: proc('msgmax'), msgmnb: proc('msgmnb') });
  const q = new MsgRegistry().msgget(IPC_PRIVATE, 0o640, alice).queue;
  t.like(q.stat(), { qbytes: 16384, cbytes: 0, qnum: 0, lspid: 0, lrpid: 0, stime: 0, rtime: 0 });
  t.deepEqual(q.perm, { uid: 1000, gid: 1000, cuid: 1000, cgid: 1000, mode: 0o640 });
});

test('msgget by key: ENOENT without IPC_CREAT, EEXIST with IPC_CREAT|IPC_EXCL, EACCES when the mode does not grant the flags, the same queue otherwise', (t) => {
  const r = new MsgRegistry();
  t.is(code(() => r.msgget(42, 0o600, alice)), 'ENOENT');
  const q = r.msgget(42, IPC_CREAT | 0o640, alice);
  t.is(r.msgget(42, 0, bob), q, 'no mode bits asked: no check');
  t.is(code(() => r.msgget(42, IPC_CREAT | IPC_EXCL | 0o600, alice)), 'EEXIST');
  t.is(code(() => r.msgget(42, 0o200, bob)), 'EACCES', 'bob is in the others class, which has nothing');
  t.is(r.msgget(42, 0o400, alice), q);
  t.is(r.lookupKey(42), q);
  t.is(r.lookupKey(-1), undefined);
  const k = r.msgget(0xffffffff, IPC_CREAT | 0o600, alice);
  t.is(r.msgget(-1, 0, alice), k, 'key_t is an int: 0xffffffff is -1');
  t.not(r.msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL, alice), r.msgget(IPC_PRIVATE, 0, alice), 'IPC_PRIVATE always makes a new queue');
});

test('MSGMNI: ENOSPC past it, nothing changes; a removal gives the slot back with a new sequence', (t) => {
  const r = new MsgRegistry({ ...MSG_LIMITS, msgmni: 2 });
  const a = r.msgget(IPC_PRIVATE, 0o600, alice);
  const b = r.msgget(IPC_PRIVATE, 0o600, alice);
  t.deepEqual([a.id, b.id], [0, 1 + SEQ_MULTIPLIER]);
  t.is(code(() => r.msgget(7, IPC_CREAT | 0o600, alice)), 'ENOSPC');
  t.is(r.size, 2);
  t.is(r.lookupKey(7), undefined);
  r.rmid(a, alice);
  const c = r.msgget(7, IPC_CREAT | 0o600, alice);
  t.is(c.id, 0 + 2 * SEQ_MULTIPLIER, 'slot 0 again, sequence 2: the old id is not reused');
  t.is(r.get(a.id), undefined);
  t.is(r.get(c.id), c);
});

test('IPC_RMID: EPERM unless owner, creator or root; waiters get EIDRM; the key is free again', (t) => {
  const r = new MsgRegistry();
  const q = r.msgget(9, IPC_CREAT | 0o666, alice);
  t.is(code(() => r.rmid(q, bob)), 'EPERM');
  q.queue.ipcSet(alice, { uid: bob.uid });
  let got = -1;
  q.queue.msgrcv({ maxSize: 10 }, bob, null, (e) => (got = e));
  r.rmid(q, alice); // still the creator
  t.is(got, 43);
  t.true(q.queue.removed);
  t.is(code(() => r.rmid(q, root)), 'EIDRM');
  t.not(r.msgget(9, IPC_CREAT | 0o600, alice), q);
});

test('msgget keys are 32-bit: -2^31 .. 2^32-1 (the upper half the same key as its negative); anything else is EINVAL and makes nothing', (t) => {
  const r = new MsgRegistry();
  for (const bad of [1.5, -0x80000001, 0x100000000, NaN]) {
    const e = thrown(() => r.msgget(bad, IPC_CREAT | 0o600, alice));
    t.is(e.code, 'EINVAL');
    t.is(e.message, `key ${bad}: not a 32-bit key`);
  }
  t.is(r.size, 0);
  const low = r.msgget(-0x80000000, IPC_CREAT | 0o600, alice);
  t.is(r.msgget(0x80000000, 0, alice), low, '2^31 is the same key as -2^31');
  t.deepEqual([...r.values()], [low]);
});
