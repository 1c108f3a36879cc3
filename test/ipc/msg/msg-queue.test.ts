/**
 * ipc/msg/msg-queue.ts: exact errnos in do_msgsnd/do_msgrcv/msgctl_down's order, the choices Linux
 * leaves to the scheduler (several senders woken at once, IPC_SET with several receivers), cancel,
 * and the status fields. The common paths are checked against the kernel in differential.test.ts.
 */
import test from 'ava';
import { thrown, refusal } from '../../helpers/errno.js';
import { Errno } from '../../../ipc/errno.js';
import { MsgQueue, type Caller, type Received, type ReceiveWaiter, type SendWaiter } from '../../../ipc/msg/msg-queue.js';

const root: Caller = { uid: 0, gid: 0, pid: 1 };
const alice: Caller = { uid: 1000, gid: 1000, pid: 2 };
const bob: Caller = { uid: 1001, gid: 1001, pid: 3 };

function make(qbytes = 100, mode = 0o600, owner: Caller = alice): MsgQueue {
  return new MsgQueue({ uid: owner.uid, gid: owner.gid, cuid: owner.uid, cgid: owner.gid, mode }, { qbytes, msgmax: 50, msgmnb: 100, now: () => 7 });
}

/** The errno name fn threw (it must throw an ErrnoError). */
const code = (fn: () => unknown): string => thrown(fn).code;

const b = (s: string): Buffer => Buffer.from(s);
const noop = (): void => {};
const contents = (q: MsgQueue): string[] => q.messages().map((m) => `${m.type}:${m.data.toString()}`);

function recorder(): { log: string[]; done: (name: string) => (e: number) => void } {
  const log: string[] = [];
  return { log, done: (name) => (e) => log.push(`${name}:${e}`) };
}

test('msgsnd errnos in do_msgsnd order: EINVAL (size past MSGMAX before mtype), EINVAL (mtype < 1), EACCES, EIDRM, EAGAIN', (t) => {
  const q = make(10);
  t.is(code(() => q.msgsnd(0, Buffer.alloc(51), {}, bob, noop)), 'EINVAL', 'size before type, before permission');
  t.is(code(() => q.msgsnd(0, b('x'), {}, alice, noop)), 'EINVAL');
  t.is(code(() => q.msgsnd(-3, b('x'), {}, alice, noop)), 'EINVAL');
  t.is(code(() => q.msgsnd(1.5, b('x'), {}, alice, noop)), 'EINVAL');
  t.is(code(() => q.msgsnd(1, b('x'), {}, bob, noop)), 'EACCES');
  t.is(q.msgsnd(1, Buffer.alloc(50 - 40), {}, alice, noop), 'done', 'exactly MSGMAX or less is fine');
  t.is(code(() => q.msgsnd(1, b('x'), { nowait: true }, alice, noop)), 'EAGAIN', 'full by bytes: 10 + 1 > 10');
  t.deepEqual([q.cbytes, q.qnum, q.lspid, q.stime], [10, 1, alice.pid, 7], 'a refused send changes nothing');
  q.remove();
  t.is(code(() => q.msgsnd(1, b('x'), {}, bob, noop)), 'EACCES', 'permission is checked before the removal');
  t.is(code(() => q.msgsnd(1, b('x'), {}, alice, noop)), 'EIDRM');
});

test('a queue is also full by count: qnum + 1 > qbytes, zero-length messages included', (t) => {
  const q = make(2);
  q.msgsnd(1, b(''), {}, alice, noop);
  q.msgsnd(1, b(''), {}, alice, noop);
  t.is(code(() => q.msgsnd(1, b(''), { nowait: true }, alice, noop)), 'EAGAIN');
  t.is(q.qnum, 2);
});

test('msgrcv errnos in do_msgrcv order: EINVAL (size, MSG_COPY flags), EACCES, EIDRM, E2BIG (the message stays), ENOMSG', (t) => {
  const q = make();
  t.is(code(() => q.msgrcv({ maxSize: -1 }, bob, null, noop)), 'EINVAL');
  t.is(code(() => q.msgrcv({ maxSize: 10, copy: true }, bob, null, noop)), 'EINVAL', 'MSG_COPY without IPC_NOWAIT');
  t.is(code(() => q.msgrcv({ maxSize: 10, copy: true, nowait: true, except: true }, bob, null, noop)), 'EINVAL', 'MSG_COPY with MSG_EXCEPT');
  t.is(code(() => q.msgrcv({ maxSize: 10, nowait: true }, bob, null, noop)), 'EACCES');
  t.is(code(() => q.msgrcv({ maxSize: 10, nowait: true }, alice, null, noop)), 'ENOMSG');
  q.msgsnd(3, b('hello'), {}, alice, noop);
  t.is(code(() => q.msgrcv({ maxSize: 4 }, alice, null, noop)), 'E2BIG');
  t.deepEqual(contents(q), ['3:hello'], 'E2BIG leaves the message queued');
  t.is(q.lrpid, 0, 'and stamps nothing');
  const r = q.msgrcv({ maxSize: 4, noerror: true }, alice, null, noop) as Received;
  t.deepEqual([r.type, r.data.toString(), r.size], [3, 'hell', 5], 'MSG_NOERROR truncates');
  t.deepEqual([q.qnum, q.cbytes, q.lrpid, q.rtime], [0, 0, alice.pid, 7]);
  q.remove();
  t.is(code(() => q.msgrcv({ maxSize: 10, nowait: true }, alice, null, noop)), 'EIDRM');
});

test('msgtyp forms: 0 the first, > 0 the first of that type, MSG_EXCEPT the first of another, < 0 the first of the lowest type <= |msgtyp|', (t) => {
  const q = make(1000);
  for (const [ty, s] of [[3, 'a'], [2, 'b'], [5, 'c'], [2, 'd'], [1, 'e'], [1, 'f']] as const) q.msgsnd(ty, b(s), {}, alice, noop);
  const rcv = (type: number, extra: object = {}): string => {
    const r = q.msgrcv({ maxSize: 10, type, nowait: true, ...extra }, alice, null, noop) as Received;
    return `${r.type}:${r.data.toString()}`;
  };
  t.is(rcv(-2), '1:e', 'lowest type first, and the first of it');
  t.is(rcv(2, { except: true }), '3:a');
  t.is(rcv(-4), '1:f');
  t.is(rcv(-4), '2:b');
  t.is(code(() => q.msgrcv({ maxSize: 10, type: -1, nowait: true }, alice, null, noop)), 'ENOMSG');
  t.is(rcv(5), '5:c');
  t.is(rcv(0), '2:d');
});

test('MSG_COPY copies message number msgtyp without taking it; a buffer shorter than it is E2BIG, or EINVAL with MSG_NOERROR (copy_msg)', (t) => {
  const q = make();
  q.msgsnd(4, b('abc'), {}, alice, noop);
  q.msgsnd(5, b('de'), {}, alice, noop);
  const r = q.msgrcv({ maxSize: 10, type: 1, copy: true, nowait: true }, alice, null, noop) as Received;
  t.deepEqual([r.type, r.data.toString()], [5, 'de']);
  t.is(code(() => q.msgrcv({ maxSize: 10, type: 2, copy: true, nowait: true }, alice, null, noop)), 'ENOMSG');
  t.is(code(() => q.msgrcv({ maxSize: 10, type: -1, copy: true, nowait: true }, alice, null, noop)), 'ENOMSG');
  t.is(code(() => q.msgrcv({ maxSize: 2, type: 0, copy: true, nowait: true }, alice, null, noop)), 'E2BIG');
  t.is(code(() => q.msgrcv({ maxSize: 2, type: 0, copy: true, nowait: true, noerror: true }, alice, null, noop)), 'EINVAL');
  t.deepEqual([q.qnum, q.lrpid, q.rtime], [2, 0, 0], 'copies take nothing and stamp nothing');
});

test('pipelined send: receivers in order, type filters, E2BIG on the way; a pipelined message never counts in cbytes/qnum', (t) => {
  const q = make();
  const { log, done } = recorder();
  const r1 = q.msgrcv({ maxSize: 10, type: 2 }, { ...alice, pid: 11 }, null, done('r1')) as ReceiveWaiter;
  const r2 = q.msgrcv({ maxSize: 1 }, { ...alice, pid: 12 }, null, done('r2')) as ReceiveWaiter;
  const r3 = q.msgrcv({ maxSize: 10, type: -3 }, { ...alice, pid: 13 }, null, done('r3')) as ReceiveWaiter;
  q.msgsnd(3, b('xyz'), {}, alice, noop);
  t.deepEqual(log, ['r2:7', 'r3:0'], 'r1 filters it out, r2 is too small (E2BIG), r3 takes it');
  t.is(r3.result!.data.toString(), 'xyz');
  t.deepEqual([q.qnum, q.cbytes, q.lspid, q.lrpid], [0, 0, alice.pid, 13]);
  t.deepEqual(q.receivers(), [r1]);
  t.false(r2.queued);
});

test('several senders woken at once retry in list order; those that do not fit go to the tail in their order (ss_wakeup)', (t) => {
  const q = make(10);
  const { log, done } = recorder();
  q.msgsnd(1, Buffer.alloc(10), {}, alice, noop);
  const s1 = q.msgsnd(1, Buffer.alloc(8), {}, alice, done('s1')) as SendWaiter;
  const s2 = q.msgsnd(2, Buffer.alloc(3), {}, alice, done('s2')) as SendWaiter;
  const s3 = q.msgsnd(3, Buffer.alloc(9), {}, alice, done('s3')) as SendWaiter;
  const s4 = q.msgsnd(4, Buffer.alloc(4), {}, alice, done('s4')) as SendWaiter;
  t.deepEqual(q.senders(), [s1, s2, s3, s4]);
  q.msgrcv({ maxSize: 10 }, alice, null, noop); // 10 bytes free: all four fit alone
  t.deepEqual(log, ['s1:0'], 's1 (8) goes first; s2, s3, s4 were woken but no longer fit');
  t.deepEqual(q.senders(), [s2, s3, s4], 'and sleep again at the tail, in their order');
  q.msgrcv({ maxSize: 10 }, alice, null, noop);
  t.deepEqual(log, ['s1:0', 's2:0', 's4:0'], 's3 (9) does not fit after s2 (3); s4 (4) does');
  t.deepEqual(q.senders(), [s3]);
});

test('IPC_SET: EPERM (not owner), EPERM (qbytes above MSGMNB unless root), EINVAL (bad id); receivers that lose read permission get EACCES, senders that fit are woken', (t) => {
  const q = make(5, 0o666);
  t.is(code(() => q.ipcSet(bob, { mode: 0o600 })), 'EPERM');
  t.is(code(() => q.ipcSet(alice, { qbytes: 101 })), 'EPERM');
  t.is(code(() => q.ipcSet(alice, { uid: 0xffffffff })), 'EINVAL');
  t.is(q.qbytes, 5, 'refused changes change nothing');
  const { log, done } = recorder();
  const rb = q.msgrcv({ maxSize: 10, type: 9 }, bob, null, done('bob')) as ReceiveWaiter;
  const ra = q.msgrcv({ maxSize: 10, type: 8 }, alice, null, done('alice')) as ReceiveWaiter;
  q.msgsnd(1, b('12345'), {}, alice, noop);
  const s = q.msgsnd(1, b('678'), {}, bob, done('send')) as SendWaiter;
  q.ipcSet(root, { qbytes: 200, mode: 0o622 });
  t.deepEqual(log, ['bob:13', 'send:0'], "bob's receiver lost read permission (EACCES); the sender fits in 200 bytes (write is still granted)");
  t.deepEqual(q.receivers(), [ra]);
  t.false(rb.queued || s.queued);
  t.is(q.qbytes, 200, 'root may pass MSGMNB');
  q.ipcSet(alice, { uid: 1001 });
  t.is(q.perm.uid, 1001);
  t.is(q.perm.cuid, 1000);
});

test('cancel: a cancelled receiver or sender takes nothing and leaves the lists; a later cancel is a no-op', (t) => {
  const q = make(3);
  const { log, done } = recorder();
  const r = q.msgrcv({ maxSize: 10 }, alice, null, done('r')) as ReceiveWaiter;
  q.cancel(r, Errno.EINTR);
  q.msgsnd(1, b('ab'), {}, alice, noop);
  t.deepEqual(contents(q), ['1:ab'], 'the message goes to the queue, not to the cancelled receiver');
  const s = q.msgsnd(1, b('cd'), {}, alice, done('s')) as SendWaiter;
  q.cancel(s, Errno.EAGAIN);
  q.msgrcv({ maxSize: 10 }, alice, null, noop);
  t.deepEqual(contents(q), []);
  q.cancel(s, Errno.EINTR);
  t.deepEqual(log, ['r:4', 's:11']);
});

test('IPC_RMID: every sleeping sender and receiver gets EIDRM; watchers run after every change', (t) => {
  const q = make(1);
  const { log, done } = recorder();
  let changes = 0;
  q.watchers.add(() => changes++);
  q.msgsnd(1, b('a'), {}, alice, noop);
  q.msgsnd(1, b('b'), {}, alice, done('s'));
  q.msgrcv({ maxSize: 10, type: 7 }, alice, null, done('r'));
  q.remove();
  t.deepEqual(log.sort(), ['r:43', 's:43']);
  t.is(changes, 4);
  t.deepEqual([q.qnum, q.cbytes, q.senders().length, q.receivers().length], [0, 0, 0, 0]);
});

test('stat: the msqid_ds fields and the held ones', (t) => {
  const q = make(100);
  q.msgsnd(2, b('abc'), {}, { ...alice, pid: 40 }, noop);
  q.msgsnd(2, b('de'), {}, { ...alice, pid: 41 }, noop);
  q.msgrcv({ maxSize: 10 }, { ...alice, pid: 42 }, null, noop);
  const s = q.stat();
  t.like(s, { cbytes: 2, qnum: 1, qbytes: 100, lspid: 41, lrpid: 42, stime: 7, rtime: 7, ctime: 7, hnum: 0, hbytes: 0, senders: 0, receivers: 0 });
  t.deepEqual(s.perm, { uid: 1000, gid: 1000, cuid: 1000, cgid: 1000, mode: 0o600 });
  t.is(code(() => q.stat(bob)), 'EACCES', 'IPC_STAT needs read permission');
  t.is(q.stat(alice).qnum, 1);
});

test('every refusal\'s message says what was wrong, with the numbers', (t) => {
  const q = make(10);
  t.deepEqual(refusal(() => q.msgsnd(1, Buffer.alloc(51), {}, alice, noop)), ['EINVAL', 'message of 51 bytes is longer than MSGMAX (50)']);
  t.deepEqual(refusal(() => q.msgsnd(1.5, b('x'), {}, alice, noop)), ['EINVAL', 'mtype=1.5: not an integer']);
  t.deepEqual(refusal(() => q.msgsnd(0, b('x'), {}, alice, noop)), ['EINVAL', 'mtype 0 must be positive']);
  t.deepEqual(refusal(() => q.msgsnd(1, b('x'), {}, bob, noop)), ['EACCES', 'msgsnd: permission denied']);
  q.msgsnd(1, Buffer.alloc(9), {}, alice, noop);
  t.deepEqual(refusal(() => q.msgsnd(1, b('xy'), { nowait: true }, alice, noop)), ['EAGAIN', 'queue full (9 of 10 bytes, 1 messages)']);
  t.deepEqual(refusal(() => q.msgrcv({ maxSize: -1 }, alice, null, noop)), ['EINVAL', 'buffer size -1 must be a non-negative integer']);
  t.deepEqual(refusal(() => q.msgrcv({ maxSize: 1, type: 0.5 }, alice, null, noop)), ['EINVAL', 'msgtyp=0.5: not an integer']);
  t.deepEqual(refusal(() => q.msgrcv({ maxSize: 1, copy: true }, alice, null, noop)), ['EINVAL', 'MSG_COPY needs IPC_NOWAIT and excludes MSG_EXCEPT']);
  t.deepEqual(refusal(() => q.msgrcv({ maxSize: 1 }, bob, null, noop)), ['EACCES', 'msgrcv: permission denied']);
  t.deepEqual(refusal(() => q.msgrcv({ maxSize: 1 }, alice, null, noop)), ['E2BIG', 'message of 9 bytes, buffer of 1']);
  t.deepEqual(refusal(() => q.msgrcv({ maxSize: 20, type: 5, nowait: true }, alice, null, noop)), ['ENOMSG', 'no message of the requested type']);
  t.deepEqual(refusal(() => q.msgrcv({ maxSize: 5, copy: true, nowait: true, noerror: true }, alice, null, noop)), ['EINVAL', 'MSG_COPY: buffer shorter than the message']);
  t.deepEqual(refusal(() => q.stat(bob)), ['EACCES', 'IPC_STAT: permission denied']);
  t.deepEqual(refusal(() => q.ipcSet(alice, { qbytes: -1 })), ['EINVAL', 'msg_qbytes=-1: not a size']);
  t.deepEqual(refusal(() => q.ipcSet(alice, { qbytes: 101 })), ['EPERM', 'msg_qbytes=101: above MSGMNB (100) needs root']);
  q.remove();
  t.deepEqual(refusal(() => q.msgsnd(1, b('x'), {}, alice, noop)), ['EIDRM', 'queue removed']);
  t.deepEqual(refusal(() => q.msgrcv({ maxSize: 1 }, alice, null, noop)), ['EIDRM', 'queue removed']);
  t.deepEqual(refusal(() => q.ipcSet(alice, {})), ['EIDRM', 'queue removed']);
});

test('IPC_SET msg_qbytes: 0 is a size, exactly MSGMNB needs no root, one more does; the refusal names IPC_SET', (t) => {
  const q = make(10);
  q.ipcSet(alice, { qbytes: 0 });
  t.is(q.qbytes, 0);
  q.ipcSet(alice, { qbytes: 100 });
  t.is(q.qbytes, 100, 'MSGMNB itself');
  t.is(code(() => q.ipcSet(alice, { qbytes: 101 })), 'EPERM');
  q.ipcSet(root, { qbytes: 101 });
  t.is(q.qbytes, 101);
  const e = thrown(() => q.ipcSet(bob, { mode: 0o666 }));
  t.deepEqual([e.code, e.message], ['EPERM', 'IPC_SET: not the owner or creator']);
});

test('MSG_COPY: a buffer of exactly the message\'s size (and MSGMAX) is enough; the copy is not held and takes nothing', (t) => {
  const q = make(100);
  q.msgsnd(1, b('abcd'), {}, alice, noop);
  const r = q.msgrcv({ maxSize: 4, copy: true, nowait: true }, alice, null, noop) as Received;
  t.deepEqual([r.data.toString(), r.size, r.held], ['abcd', 4, false]);
  t.is(q.qnum, 1);
});

test('IPC_SET with an invalid uid or gid: EINVAL naming the field, nothing changed', (t) => {
  const q = make(10);
  for (const [change, msg] of [[{ uid: -1 }, 'uid=-1'], [{ gid: 0xffffffff }, `gid=${0xffffffff}`]] as const) {
    const e = thrown(() => q.ipcSet(alice, { qbytes: 5, ...change }));
    t.deepEqual([e.code, e.message], ['EINVAL', `${msg}: not a valid id (0..4294967294)`]);
  }
  t.is(q.qbytes, 10);
  t.like(q.perm, { uid: alice.uid, gid: alice.gid });
});

test('IPC_SET sets exactly the fields given: uid, gid, the low 9 mode bits; ctime', (t) => {
  let now = 7;
  const q = new MsgQueue({ uid: 1000, gid: 1000, cuid: 1000, cgid: 1000, mode: 0o600 }, { qbytes: 10, msgmax: 50, msgmnb: 100, now: () => now });
  now = 8;
  q.ipcSet(alice, { gid: 5 });
  t.deepEqual({ ...q.perm }, { uid: 1000, gid: 5, cuid: 1000, cgid: 1000, mode: 0o600 });
  t.is(q.ctime, 8);
  q.ipcSet(alice, { uid: 6, mode: 0o7644 });
  t.deepEqual({ ...q.perm }, { uid: 6, gid: 5, cuid: 1000, cgid: 1000, mode: 0o644 });
  q.ipcSet(alice, {});
  t.deepEqual({ ...q.perm }, { uid: 6, gid: 5, cuid: 1000, cgid: 1000, mode: 0o644 });
  t.is(q.qbytes, 10);
});
