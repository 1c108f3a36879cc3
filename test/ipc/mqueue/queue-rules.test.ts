/**
 * ipc/mqueue/queue.ts: the exact errno of every refusal (and that a refusal changes nothing), the
 * order of checks of mq_timedsend/mq_timedreceive, mq_notify's rules, holds, watchers and status.
 */
import test from 'ava';
import { Errno } from '../../../ipc/errno.js';
import { MessageQueue, MqHolder, qsizeLine, ReceiveWaiter, SendWaiter, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, type Notification, type Received } from '../../../ipc/mqueue/queue.js';
import { errnoOf, noop, thrown, refusal } from '../../helpers/errno.js';

const mk = (maxmsg = 2, msgsize = 8): MessageQueue => new MessageQueue({ maxmsg, msgsize }, () => 5);
const send = (q: MessageQueue, s: string, prio = 0, nb = true): unknown => q.send(Buffer.from(s), prio, 1, nb, noop);
const recv = (q: MessageQueue, holder: MqHolder | null = null, nb = true): Received => q.receive(1 << 16, 2, nb, holder, noop) as Received;
const snapshot = (q: MessageQueue): string => JSON.stringify({ s: q.status(), r: q.readable, w: q.writable });

test('send: EINVAL for a priority outside 0..32767, checked before EMSGSIZE; EMSGSIZE above msgsize; both change nothing', (t) => {
  const q = mk(2, 4);
  const before = snapshot(q);
  t.is(thrown(() => send(q, 'x', 32768)).code, 'EINVAL');
  t.is(thrown(() => send(q, 'x', -1)).code, 'EINVAL');
  t.is(thrown(() => send(q, 'x', 1.5)).code, 'EINVAL');
  t.is(thrown(() => send(q, 'toolong', 32768)).code, 'EINVAL', 'the priority is checked first');
  t.is(thrown(() => send(q, 'abcde')).code, 'EMSGSIZE');
  t.is(snapshot(q), before);
  t.is(send(q, 'abcd', 32767), 'done', 'exactly msgsize and MQ_PRIO_MAX-1 are fine');
  t.is(send(q, '', 0), 'done', 'a zero-length message is a message');
  t.is(q.curmsgs, 2);
  t.is(q.qsize, 4);
  const a = recv(q);
  t.deepEqual([a.priority, a.data.toString()], [32767, 'abcd']);
  const b = recv(q);
  t.deepEqual([b.priority, b.data.length, b.id], [0, 0, null]);
});

test('send on a full queue: EAGAIN when nonblocking (nothing changes), else a waiter that gets in when room frees', (t) => {
  const q = mk(1);
  send(q, 'a');
  const before = snapshot(q);
  t.is(thrown(() => send(q, 'b')).code, 'EAGAIN');
  t.is(snapshot(q), before);
  const done: number[] = [];
  const w = q.send(Buffer.from('b'), 3, 7, false, (e) => done.push(e));
  t.true(w instanceof SendWaiter);
  t.deepEqual(q.status().senders, [7]);
  t.is(recv(q).data.toString(), 'a');
  t.deepEqual(done, [0], 'pipelined_receive: the waiting sender got in');
  t.is(recv(q).data.toString(), 'b');
});

test('the data is copied: the caller may reuse its buffer; binary data comes back as sent', (t) => {
  const q = mk(2, 256);
  const buf = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  q.send(buf, 0, 1, true, noop);
  buf.fill(0);
  const got = q.receive(256, 2, true, null, noop) as Received;
  t.deepEqual([...got.data], Array.from({ length: 256 }, (_, i) => i));
});

test('receive: EMSGSIZE when the buffer is smaller than msgsize (even with messages queued, before EAGAIN); EAGAIN when empty', (t) => {
  const q = mk(2, 8);
  t.is(thrown(() => q.receive(7, 1, true, null, noop)).code, 'EMSGSIZE', 'before EAGAIN');
  send(q, 'hi');
  const before = snapshot(q);
  t.is(thrown(() => q.receive(7, 1, true, null, noop)).code, 'EMSGSIZE');
  t.is(snapshot(q), before);
  t.is((q.receive(1 << 20, 1, true, null, noop) as Received).data.toString(), 'hi', 'a larger buffer is fine');
  t.is(thrown(() => recv(q)).code, 'EAGAIN');
});

test('a cancelled wait takes nothing: done gets the errno once, a later message goes to the next waiter', (t) => {
  const q = mk(1);
  const got: string[] = [];
  const r1 = q.receive(8, 11, false, null, (e, m) => got.push(e ? `r1 ${e}` : `r1 ${m!.data}`)) as ReceiveWaiter;
  const r2 = q.receive(8, 12, false, null, (e, m) => got.push(e ? `r2 ${e}` : `r2 ${m!.data}`)) as ReceiveWaiter;
  t.deepEqual(q.status().receivers, [11, 12]);
  q.cancel(r1, Errno.ETIMEDOUT);
  q.cancel(r1, Errno.EINTR);
  t.deepEqual(got, [`r1 ${Errno.ETIMEDOUT}`], 'one completion, the first errno');
  send(q, 'm');
  t.deepEqual(got, [`r1 ${Errno.ETIMEDOUT}`, 'r2 m']);
  t.false(r2.queued);
  q.cancel(r2, Errno.EINTR);
  t.is(got.length, 2, 'cancelling a completed waiter does nothing');
  // a cancelled sender's message never enters
  send(q, 'full');
  const s = q.send(Buffer.from('never'), 0, 13, false, (e) => got.push(`s ${e}`)) as SendWaiter;
  q.cancel(s, Errno.EINTR);
  t.is(recv(q).data.toString(), 'full');
  t.is(thrown(() => recv(q)).code, 'EAGAIN');
  t.deepEqual(got.slice(2), [`s ${Errno.EINTR}`]);
});

test('hand-off: a message sent while receivers wait goes to the longest-waiting one, never through the queue', (t) => {
  const q = mk(1);
  const got: string[] = [];
  q.receive(8, 21, false, null, (_e, m) => got.push(`21:${m!.data}`));
  q.receive(8, 22, false, null, (_e, m) => got.push(`22:${m!.data}`));
  let watched = 0;
  q.watchers.add(() => watched++);
  send(q, 'x', 1);
  t.deepEqual(got, ['21:x']);
  t.is(q.curmsgs, 0);
  t.is(watched, 1, 'watchers run once per change');
  send(q, 'y', 9);
  t.deepEqual(got, ['21:x', '22:y']);
});

test('ack: the holder that holds the id, once; EINVAL for another holder, an unknown id, a second ack', (t) => {
  const q = mk(2);
  const a = new MqHolder(31, 'worker-a');
  const b = new MqHolder(32, 'worker-b');
  send(q, 'm');
  const r = recv(q, a);
  t.is(typeof r.id, 'number');
  t.is(q.curmsgs, 0);
  t.deepEqual(q.status().held, [{ id: r.id!, priority: 0, size: 1, pid: 2, comm: 'worker-a' }]);
  t.is(thrown(() => q.ack(b, r.id!)).code, 'EINVAL');
  t.is(thrown(() => q.ack(a, r.id! + 1)).code, 'EINVAL');
  q.ack(a, r.id!);
  t.is(thrown(() => q.ack(a, r.id!)).code, 'EINVAL');
  t.deepEqual(q.status().held, []);
  a.release();
  t.is(q.curmsgs, 0, 'an acknowledged message never comes back');
  send(q, 'n');
  t.is(thrown(() => recv(q, a)).code, 'EBADF', 'a released holder cannot receive');
  t.is(thrown(() => q.receive(0, 2, true, a, noop)).code, 'EBADF', 'before EMSGSIZE, as the descriptor check');
  t.is(q.curmsgs, 1);
});

test('held messages take room: a full queue of held messages blocks senders; ack frees a slot, release returns them', (t) => {
  const q = mk(2);
  const h = new MqHolder(41, 'w');
  send(q, 'a');
  send(q, 'b');
  recv(q, h);
  recv(q, h);
  t.false(q.writable);
  t.false(q.readable);
  t.is(thrown(() => send(q, 'c')).code, 'EAGAIN');
  // receivers and senders wait at once: a freed slot takes the sender's message straight to the receiver
  const got: string[] = [];
  q.receive(8, 42, false, null, (_e, m) => got.push(m!.data.toString()));
  q.send(Buffer.from('c'), 0, 43, false, (e) => got.push(`sent ${e}`));
  t.deepEqual(q.status().senders, [43]);
  t.deepEqual(q.status().receivers, [42]);
  q.ack(h, q.status().held[0]!.id);
  t.deepEqual(got, ['sent 0', 'c']);
  t.is(q.curmsgs, 0);
  h.release();
  t.is(q.curmsgs, 1);
  t.is(recv(q).data.toString(), 'b');
});

test('release puts messages back at their arrival place: ahead of later ones of their priority, in arrival order among themselves', (t) => {
  const q = mk(8);
  const h = new MqHolder(51, 'w');
  const g = new MqHolder(52, 'v');
  for (const [s, p] of [['a1', 1], ['a2', 1], ['b1', 2], ['a3', 1]] as const) send(q, s, p);
  t.is(recv(q, h).data.toString(), 'b1');
  t.is(recv(q, g).data.toString(), 'a1');
  t.is(recv(q, h).data.toString(), 'a2');
  send(q, 'a4', 1);
  send(q, 'b2', 2);
  h.release(); // b1 ahead of b2; a2 ahead of a3, a4
  g.release(); // a1 ahead of a2
  const order: string[] = [];
  while (q.curmsgs) order.push(recv(q).data.toString());
  t.deepEqual(order, ['b1', 'b2', 'a1', 'a2', 'a3', 'a4']);
});

test('a receive still waiting for a released holder gets EBADF, not a message nobody could acknowledge', (t) => {
  const q = mk(2);
  const h = new MqHolder(71, 'w');
  send(q, 'a');
  recv(q, h);
  const got: string[] = [];
  q.receive(8, 72, false, h, (e, m) => got.push(e ? `72 ${e}` : `72:${m!.data}`));
  q.receive(8, 73, false, null, (e, m) => got.push(e ? `73 ${e}` : `73:${m!.data}`));
  h.release();
  t.deepEqual(got, [`72 ${Errno.EBADF}`, '73:a']);
  t.is(q.heldCount, 0);
});

test('release wakes waiting receivers first, in their order', (t) => {
  const q = mk(4);
  const h = new MqHolder(61, 'w');
  send(q, 'x', 3);
  send(q, 'y', 5);
  recv(q, h);
  recv(q, h);
  const got: string[] = [];
  q.receive(8, 62, false, null, (_e, m) => got.push(`62:${m!.data}`));
  q.receive(8, 63, false, null, (_e, m) => got.push(`63:${m!.data}`));
  h.release();
  t.deepEqual(got, ['62:y', '63:x']);
});

const reg = (owner: unknown, fired: string[], how = SIGEV_SIGNAL, signo = 10, pid = 77): Notification => ({ owner, pid, how, signo, fire: () => fired.push(`fired ${pid}`) });

test('mq_notify: EINVAL for a bad sigev_notify or signal before EBUSY; one registrant; only the owner unregisters', (t) => {
  const q = mk();
  const fired: string[] = [];
  t.is(thrown(() => q.registerNotify(reg('a', fired, SIGEV_THREAD))).code, 'EINVAL');
  t.is(thrown(() => q.registerNotify(reg('a', fired, 7))).code, 'EINVAL');
  t.is(thrown(() => q.registerNotify(reg('a', fired, SIGEV_SIGNAL, 65))).code, 'EINVAL');
  t.is(thrown(() => q.registerNotify(reg('a', fired, SIGEV_SIGNAL, -1))).code, 'EINVAL');
  q.registerNotify(reg('a', fired, SIGEV_SIGNAL, 0));
  t.is(thrown(() => q.registerNotify(reg('b', fired))).code, 'EBUSY');
  t.is(thrown(() => q.registerNotify(reg('b', fired, SIGEV_THREAD))).code, 'EINVAL', 'validation comes before EBUSY');
  t.is(thrown(() => q.registerNotify(reg('a', fired))).code, 'EBUSY', 'the registrant itself too');
  q.unregisterNotify('b');
  t.is(q.notifyRegistration?.owner, 'a', 'someone else: silently nothing');
  q.unregisterNotify('a');
  t.is(q.notifyRegistration, null);
  q.registerNotify(reg('b', fired, SIGEV_NONE));
  t.is(q.notifyRegistration?.owner, 'b');
  t.deepEqual(fired, []);
});

test('mq_notify fires once, then is gone, when a message arrives on an empty queue and no receiver waits', (t) => {
  const q = mk(3);
  const fired: string[] = [];
  q.registerNotify(reg('a', fired));
  send(q, 'a');
  t.deepEqual(fired, ['fired 77']);
  t.is(q.notifyRegistration, null);
  q.registerNotify(reg('a', fired, SIGEV_NONE, 0, 78));
  send(q, 'b');
  t.deepEqual(fired, ['fired 77'], 'the queue was not empty');
  recv(q);
  recv(q);
  // a waiting receiver takes the message: no notification
  q.receive(8, 5, false, null, noop);
  send(q, 'c');
  t.deepEqual(fired, ['fired 77']);
  t.is(q.notifyRegistration?.pid, 78, 'still registered');
  send(q, 'd');
  t.deepEqual(fired, ['fired 77', 'fired 78'], 'SIGEV_NONE fires (and unregisters) too');
});

test('mq_notify: a waiting sender entering after a receive does not notify (pipelined_receive); a release onto an empty queue does', (t) => {
  const q = mk(1);
  const fired: string[] = [];
  send(q, 'a');
  q.send(Buffer.from('b'), 0, 9, false, noop);
  q.registerNotify(reg('a', fired));
  recv(q);
  t.is(q.curmsgs, 1);
  t.deepEqual(fired, []);
  const h = new MqHolder(1, 'w');
  recv(q, h);
  t.deepEqual(fired, []);
  h.release();
  t.deepEqual(fired, ['fired 77']);
});

test('watchers run after every change; a refusal is not a change', (t) => {
  const q = mk(1);
  let n = 0;
  q.watchers.add(() => n++);
  send(q, 'a');
  t.is(n, 1);
  errnoOf(() => send(q, 'b'));
  t.is(n, 1);
  const w = q.send(Buffer.from('b'), 0, 1, false, noop) as SendWaiter;
  t.is(n, 2, 'a new waiter shows in the status');
  q.cancel(w, Errno.EINTR);
  t.is(n, 3);
  recv(q);
  t.is(n, 4);
  q.registerNotify(reg('x', []));
  t.is(n, 5);
});

test('status: Linux first line with QSIZE the queued text bytes, NOTIFY/SIGNO/NOTIFY_PID of the registration', (t) => {
  const q = mk(4, 100);
  t.is(qsizeLine(q.status()), `QSIZE:0          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n`);
  send(q, 'x'.repeat(30));
  send(q, '');
  send(q, 'y'.repeat(12), 4);
  q.registerNotify(reg('o', [], SIGEV_SIGNAL, 12, 4321));
  const h = new MqHolder(3, 'w');
  recv(q, h); // the 12 bytes: held, not queued
  const s = q.status();
  t.is(s.qsize, 30);
  t.is(qsizeLine(s), `QSIZE:30         NOTIFY:0     SIGNO:12    NOTIFY_PID:4321  \n`);
  q.unregisterNotify('o');
  q.registerNotify(reg('o', [], SIGEV_NONE, 12, 99));
  t.is(qsizeLine(q.status()), `QSIZE:30         NOTIFY:1     SIGNO:0     NOTIFY_PID:99    \n`);
});

test('every refusal\'s message says what was wrong, with the numbers', (t) => {
  const q = mk(1, 4);
  t.deepEqual(refusal(() => send(q, 'x', 32768)), ['EINVAL', 'priority 32768 not in 0..32767']);
  t.deepEqual(refusal(() => send(q, 'abcde')), ['EMSGSIZE', 'message of 5 bytes, msgsize is 4']);
  t.deepEqual(refusal(() => q.receive(3, 1, true, null, noop)), ['EMSGSIZE', 'buffer of 3 bytes, msgsize is 4']);
  t.deepEqual(refusal(() => q.receive(4, 1, true, null, noop)), ['EAGAIN', 'queue empty']);
  send(q, 'a');
  t.deepEqual(refusal(() => send(q, 'b')), ['EAGAIN', 'queue full']);
  const h = new MqHolder(1, 'w');
  const got = recv(q, h);
  t.deepEqual(refusal(() => q.ack(new MqHolder(2, 'x'), got.id!)), ['EINVAL', `message ${got.id} is not held by this handle`]);
  h.release();
  t.deepEqual(refusal(() => recv(q, h)), ['EBADF', 'holder released']);
  const n = (how: number, signo: number, pid = 9): Notification => ({ owner: pid, pid, how, signo, fire: noop });
  t.deepEqual(refusal(() => q.registerNotify(n(SIGEV_THREAD, 0))), ['EINVAL', 'sigev_notify 2: only SIGEV_NONE and SIGEV_SIGNAL']);
  t.deepEqual(refusal(() => q.registerNotify(n(SIGEV_SIGNAL, 65))), ['EINVAL', 'signal 65 not in 0..64']);
  q.registerNotify(n(SIGEV_SIGNAL, 64));
  t.deepEqual(refusal(() => q.registerNotify(n(SIGEV_NONE, 0, 10))), ['EBUSY', 'pid 9 is registered']);
});

test('a cancelled receive is answered with the errno and no message (null), a cancelled send with the errno', (t) => {
  const q = mk(1);
  const answers: unknown[][] = [];
  const r = q.receive(1 << 16, 3, false, null, (...args: unknown[]) => answers.push(args)) as ReceiveWaiter;
  q.cancel(r, Errno.ETIMEDOUT);
  send(q, 'a');
  const s = q.send(Buffer.from('b'), 0, 4, false, (...args: unknown[]) => answers.push(args)) as SendWaiter;
  q.cancel(s, Errno.EINTR);
  t.deepEqual(answers, [[Errno.ETIMEDOUT, null], [Errno.EINTR]]);
});

test('returned messages notify only when they land on an empty queue that no receiver waits on', (t) => {
  // the queue already had a message: no notification
  const q1 = mk(3);
  const fired: string[] = [];
  const h1 = new MqHolder(1, 'w');
  send(q1, 'a');
  send(q1, 'b');
  recv(q1, h1);
  q1.registerNotify(reg('o', fired));
  h1.release();
  t.deepEqual(fired, [], 'not empty before the return');
  t.is(q1.curmsgs, 2);
  // a waiting receiver takes the returned message: a hand-off, no notification
  const q2 = mk(1);
  const h2 = new MqHolder(2, 'w');
  send(q2, 'a');
  recv(q2, h2);
  let got: Received | null = null;
  q2.receive(1 << 16, 5, false, null, (_e, g) => (got = g));
  q2.registerNotify(reg('o', fired));
  h2.release();
  t.is(got!.data.toString(), 'a');
  t.deepEqual(fired, [], 'handed to the waiting receiver');
  t.not(q2.notifyRegistration, null, 'still registered');
  // empty, nobody waiting: it fires
  const h3 = new MqHolder(3, 'w');
  send(q2, 'c');
  recv(q2, h3);
  h3.release();
  t.deepEqual(fired, ['fired 77']);
});

test('a holder released with nothing left to return changes nothing and calls no watcher', (t) => {
  const q = mk(2);
  const h = new MqHolder(1, 'w');
  send(q, 'a');
  q.ack(h, recv(q, h).id!);
  let calls = 0;
  q.watchers.add(() => calls++);
  h.release();
  t.is(calls, 0);
});

test('heldBy lists what one holder holds, oldest hold first, with size, priority and pid', (t) => {
  const q = mk(4);
  const h = new MqHolder(1, 'w');
  const other = new MqHolder(2, 'x');
  send(q, 'aa', 1);
  send(q, 'bbb', 5);
  send(q, 'c', 3);
  const first = q.receive(1 << 16, 40, true, h, noop) as Received;
  q.receive(1 << 16, 41, true, other, noop);
  const third = q.receive(1 << 16, 42, true, h, noop) as Received;
  t.deepEqual(q.heldBy(h).map(({ id, priority, size, pid, holder }) => [id, priority, size, pid, holder.comm]), [[first.id, 5, 3, 40, 'w'], [third.id, 1, 2, 42, 'w']]);
  t.deepEqual(q.heldBy(other).map((m) => m.priority), [3]);
  t.deepEqual(q.heldBy(new MqHolder(3, 'y')), []);
});

test('SIGEV_NONE ignores sigev_signo (Linux checks the signal for SIGEV_SIGNAL only); signal 64 (_NSIG) is valid', (t) => {
  const q = mk();
  q.registerNotify({ owner: 'a', pid: 5, how: SIGEV_NONE, signo: 999, fire: noop });
  t.like(q.status(), { notify: SIGEV_NONE, signo: 0, notifyPid: 5 });
  q.unregisterNotify('a');
  q.registerNotify({ owner: 'a', pid: 5, how: SIGEV_SIGNAL, signo: 64, fire: noop });
  t.like(q.status(), { notify: SIGEV_SIGNAL, signo: 64 });
});

test('peek: the message a receive would take next (highest priority, earliest), without taking it; null when empty', (t) => {
  const q = mk(3);
  t.is(q.peek(), null);
  send(q, 'low', 1);
  send(q, 'high', 7);
  send(q, 'high2', 7);
  const p = q.peek()!;
  t.deepEqual([p.data.toString(), p.priority], ['high', 7]);
  t.is(q.curmsgs, 3);
  t.is(recv(q).data.toString(), 'high');
  t.is(q.peek()!.data.toString(), 'high2');
});

test('a receive whose holder was released while it waited ends EBADF once; cancelling it afterwards touches no other waiter', (t) => {
  const q = mk(2);
  const answers: string[] = [];
  const h = new MqHolder(1, 'w');
  const r1 = q.receive(1 << 16, 1, false, h, (e) => answers.push(`r1:${e}`)) as ReceiveWaiter;
  q.receive(1 << 16, 2, false, null, (e, g) => answers.push(`r2:${e}:${g?.data.toString()}`));
  q.receive(1 << 16, 3, false, null, (e) => answers.push(`r3:${e}`));
  h.release(); // the fs layer cancels first; this is the guard if it did not
  send(q, 'm');
  t.deepEqual(answers, [`r1:${Errno.EBADF}`, 'r2:0:m']);
  q.cancel(r1, Errno.EINTR);
  t.deepEqual(answers, [`r1:${Errno.EBADF}`, 'r2:0:m'], 'no second answer');
  t.is(q.waitingReceivers, 1, 'r3 still waits');
});

test('times: a send, a receive, an ack and a returned hold stamp atime, mtime and ctime; notify registration atime and ctime', (t) => {
  let now = 100;
  const q = new MessageQueue({ maxmsg: 2, msgsize: 8 }, () => now);
  const times = (): number[] => [q.atime, q.mtime, q.ctime];
  t.deepEqual(times(), [100, 100, 100]);
  now = 200;
  send(q, 'a');
  t.deepEqual(times(), [200, 200, 200]);
  now = 300;
  const h = new MqHolder(1, 'w');
  const got = recv(q, h);
  t.deepEqual(times(), [300, 300, 300]);
  now = 400;
  q.ack(h, got.id!);
  t.deepEqual(times(), [400, 400, 400]);
  now = 500;
  q.registerNotify({ owner: 'o', pid: 1, how: SIGEV_NONE, signo: 0, fire: noop });
  t.deepEqual(times(), [500, 400, 500]);
  now = 600;
  q.unregisterNotify('o');
  t.deepEqual(times(), [600, 400, 600]);
  now = 700;
  let r: Received | null = null;
  q.receive(1 << 16, 2, false, null, (_e, g) => (r = g));
  now = 800;
  send(q, 'b');
  t.is(r!.data.toString(), 'b');
  t.deepEqual(times(), [800, 800, 800], 'a hand-off too');
});

test('mq_notify keeps sigev_value (status notifyValue, 64-bit signed, EINVAL beyond) and names who fired it: the sender, or the holder whose messages came back', (t) => {
  const q = mk(3);
  const by: number[] = [];
  const withValue = (value: bigint, how = SIGEV_SIGNAL): Notification => ({ owner: 'a', pid: 77, how, signo: 10, value, fire: (p) => by.push(p) });
  t.is(thrown(() => q.registerNotify(withValue(2n ** 63n))).code, 'EINVAL');
  t.is(thrown(() => q.registerNotify(withValue(-(2n ** 63n) - 1n))).code, 'EINVAL');
  t.is(q.status().notifyValue, null, 'a refusal registers nothing');
  q.registerNotify(withValue(-(2n ** 63n)));
  t.is(q.status().notifyValue, -(2n ** 63n));
  q.send(Buffer.from('x'), 0, 1234, false, noop);
  t.deepEqual(by, [1234], 'the sender');
  t.is(q.status().notifyValue, null, 'gone once fired');
  const h = new MqHolder(4321, 'w');
  q.receive(8, 5, false, h, noop);
  q.registerNotify(withValue(7n));
  h.release();
  t.deepEqual(by, [1234, 4321], 'the holder whose message came back onto the empty queue');
  q.registerNotify(withValue(9n, SIGEV_NONE));
  t.is(q.status().notifyValue, null, 'SIGEV_NONE carries no value');
});
