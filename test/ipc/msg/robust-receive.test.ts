/**
 * Robust receive on System V queues (ipc/msg/holder.ts): a message received with a holder stays
 * held until acknowledged; releasing the holder puts every unacknowledged message back at its place
 * (arrival order among the messages still queued), where waiting receivers can take it. Held
 * messages keep their room (msg_qbytes) but not msg_cbytes/msg_qnum.
 */
import test from 'ava';
import { thrown } from '../../helpers/errno.js';
import fc from 'fast-check';
import { ErrnoError } from '../../../ipc/errno.js';
import { MsgHolder } from '../../../ipc/msg/holder.js';
import { MsgQueue, type Caller, type Received, type ReceiveWaiter, type SendWaiter } from '../../../ipc/msg/msg-queue.js';

const alice: Caller = { uid: 1000, gid: 1000, pid: 2 };
const noop = (): void => {};
const b = (s: string): Buffer => Buffer.from(s);

function make(qbytes = 100): MsgQueue {
  return new MsgQueue({ uid: 1000, gid: 1000, cuid: 1000, cgid: 1000, mode: 0o600 }, { qbytes, msgmax: 50, msgmnb: 100, now: () => 7 });
}

/** The errno name fn threw (it must throw an ErrnoError). */
const code = (fn: () => unknown): string => thrown(fn).code;

const contents = (q: MsgQueue): string[] => q.messages().map((m) => m.data.toString());
const rcv = (q: MsgQueue, h: MsgHolder | null, extra: object = {}): Received => q.msgrcv({ maxSize: 50, nowait: true, ...extra }, { ...alice, pid: h?.pid ?? 2 }, h, noop) as Received;

test('a held message leaves msg_qnum/msg_cbytes but keeps its room; ack frees the room and wakes a sender', (t) => {
  const q = make(6);
  const h = new MsgHolder(50, 'worker');
  q.msgsnd(1, b('abc'), {}, alice, noop);
  q.msgsnd(1, b('def'), {}, alice, noop);
  const r = rcv(q, h);
  t.true(r.held);
  t.deepEqual([q.qnum, q.cbytes, q.hnum, q.hbytes, q.lrpid], [1, 3, 1, 3, 50]);
  t.deepEqual(h.held(q).map((x) => [x.message.id, x.pid, x.holder.comm]), [[r.id, 50, 'worker']]);
  const log: number[] = [];
  const s = q.msgsnd(1, b('g'), {}, alice, (e) => log.push(e)) as SendWaiter;
  t.true(s.queued, 'held bytes still count: 3 + 3 + 1 > 6');
  h.ack(q, r.id);
  t.deepEqual(log, [0], 'the ack made room');
  t.deepEqual([q.hnum, q.hbytes], [0, 0]);
  t.is(code(() => h.ack(q, r.id)), 'EINVAL', 'a second ack of the same message');
  t.is(code(() => new MsgHolder(51, 'other').ack(q, q.messages()[0]!.id)), 'EINVAL', 'ack of a message this holder does not hold');
});

test('release puts each message back at its place by arrival, among those still queued', (t) => {
  const q = make();
  const h = new MsgHolder(50, 'w');
  for (const s of ['m1', 'm2', 'm3', 'm4', 'm5']) q.msgsnd(1, b(s), {}, alice, noop);
  rcv(q, h); // m1
  rcv(q, null); // m2, gone for good
  rcv(q, h); // m3
  q.msgsnd(1, b('m6'), {}, alice, noop);
  rcv(q, h); // m4
  t.deepEqual(contents(q), ['m5', 'm6']);
  h.release();
  t.deepEqual(contents(q), ['m1', 'm3', 'm4', 'm5', 'm6']);
  t.deepEqual([q.qnum, q.cbytes, q.hnum, q.hbytes], [5, 10, 0, 0]);
  t.is(code(() => h.ack(q, 1)), 'EINVAL', 'a released holder acknowledges nothing');
});

test('a returned message goes to a waiting receiver whose filter takes it (in receiver order, E2BIG as msgrcv)', (t) => {
  const q = make();
  const h = new MsgHolder(50, 'w');
  q.msgsnd(4, b('long text'), {}, alice, noop);
  rcv(q, h);
  const log: string[] = [];
  const small = q.msgrcv({ maxSize: 2, type: 4 }, alice, null, (e) => log.push(`small:${e}`)) as ReceiveWaiter;
  const other = q.msgrcv({ maxSize: 50, type: 3 }, alice, null, (e) => log.push(`other:${e}`)) as ReceiveWaiter;
  const h2 = new MsgHolder(60, 'w2');
  const big = q.msgrcv({ maxSize: 50, type: -5 }, { ...alice, pid: 60 }, h2, (e) => log.push(`big:${e}`)) as ReceiveWaiter;
  h.release();
  t.deepEqual(log, ['small:7', 'big:0']);
  t.true(other.queued);
  t.false(small.queued);
  t.is(big.result!.data.toString(), 'long text');
  t.deepEqual([q.qnum, q.hnum, q.lrpid], [0, 1, 60], 'held again, by the new receiver');
  t.is(h2.held(q)[0]!.message.id, big.result!.id);
});

test('removal drops held messages: ack is EIDRM, release does nothing', (t) => {
  const q = make();
  const h = new MsgHolder(50, 'w');
  q.msgsnd(1, b('x'), {}, alice, noop);
  const r = rcv(q, h);
  q.remove();
  t.is(code(() => h.ack(q, r.id)), 'EIDRM');
  t.notThrows(() => h.release());
  t.is(h.count, 0);
});

test('pipelined to a receiver with a holder, a message is held too', (t) => {
  const q = make();
  const h = new MsgHolder(50, 'w');
  const w = q.msgrcv({ maxSize: 50 }, alice, h, noop) as ReceiveWaiter;
  q.msgsnd(1, b('p'), {}, alice, noop);
  t.true(w.result!.held);
  t.deepEqual([q.qnum, q.hnum], [0, 1]);
  w.result!.data.fill(0x7a);
  h.release();
  t.deepEqual(contents(q), ['p'], 'the receiver had a copy: the text that comes back is the one sent');
});

test('a receiver still sleeping when its holder is released takes nothing (EBADF): no message is held by a dead holder', (t) => {
  const q = make();
  const h = new MsgHolder(50, 'w');
  const log: string[] = [];
  const w = q.msgrcv({ maxSize: 50 }, alice, h, (e) => log.push(`w:${e}`)) as ReceiveWaiter;
  const other = q.msgrcv({ maxSize: 50 }, alice, null, (e) => log.push(`other:${e}`)) as ReceiveWaiter;
  h.release();
  q.msgsnd(1, b('x'), {}, alice, noop);
  t.deepEqual(log, ['w:9', 'other:0']);
  t.false(w.queued);
  t.is(other.result!.data.toString(), 'x');
  t.deepEqual([q.qnum, q.hnum], [0, 0]);
});

type Op =
  | { kind: 'send'; type: number; size: number }
  | { kind: 'recv'; holder: number; type: number; plain: boolean; wait: boolean }
  | { kind: 'ack'; holder: number; pick: number }
  | { kind: 'release'; holder: number }
  | { kind: 'cancel'; holder: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), type: fc.integer({ min: 1, max: 3 }), size: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ kind: fc.constant('recv' as const), holder: fc.integer({ min: 0, max: 2 }), type: fc.integer({ min: -3, max: 3 }), plain: fc.boolean(), wait: fc.boolean() }),
  fc.record({ kind: fc.constant('ack' as const), holder: fc.integer({ min: 0, max: 2 }), pick: fc.nat() }),
  fc.record({ kind: fc.constant('release' as const), holder: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('cancel' as const), holder: fc.integer({ min: 0, max: 2 }) }),
);

test('property: random receives (at once or sleeping, with a holder or not), acks, cancels and releases: every message is delivered exactly once (acknowledged, or taken without a holder), none lost; the queue stays in arrival order; counts match contents', (t) => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 120, size: 'max' }), fc.integer({ min: 4, max: 40 }), (ops, qbytes) => {
      const q = make(qbytes);
      let holders = [0, 1, 2].map((i) => new MsgHolder(100 + i, `w${i}`));
      /** one sleeping receive per worker slot (a handle has one request at a time here) */
      const sleeping: (ReceiveWaiter | null)[] = [null, null, null];
      const sent = new Set<number>();
      const delivered = new Map<number, number>();
      const deliver = (id: number): void => void delivered.set(id, (delivered.get(id) ?? 0) + 1);
      const sizes = new Map<number, number>();
      for (const o of ops) {
        if (o.kind === 'send') {
          try {
            q.msgsnd(o.type, Buffer.alloc(o.size, 0x61), { nowait: true }, alice, noop);
          } catch (e) {
            if (!(e instanceof ErrnoError) || e.code !== 'EAGAIN') throw e;
            continue;
          }
          // arrival numbers count sends that complete, from 1
          const id = sent.size + 1;
          sent.add(id);
          sizes.set(id, o.size);
        } else if (o.kind === 'recv') {
          if (sleeping[o.holder]?.queued) continue;
          const h = o.plain ? null : holders[o.holder]!;
          let w: ReceiveWaiter | null = null;
          let r: Received | ReceiveWaiter;
          try {
            r = q.msgrcv({ maxSize: 50, type: o.type, nowait: !o.wait }, { ...alice, pid: h?.pid ?? 2 }, h, (e) => {
              if (e === 0 && !w!.result!.held) deliver(w!.result!.id);
            });
          } catch (e) {
            if (!(e instanceof ErrnoError) || e.code !== 'ENOMSG') throw e;
            continue;
          }
          if ('kind' in r) {
            w = r;
            sleeping[o.holder] = w;
          } else if (!r.held) deliver(r.id);
        } else if (o.kind === 'ack') {
          const h = holders[o.holder]!;
          const held = h.held(q);
          if (!held.length) continue;
          const id = held[o.pick % held.length]!.message.id;
          h.ack(q, id);
          deliver(id);
        } else if (o.kind === 'cancel') {
          const w = sleeping[o.holder];
          if (w) q.cancel(w, 4);
        } else {
          // RELEASE: the fs layer ends the handle's sleeping request first, then releases it
          const w = sleeping[o.holder];
          if (w?.holder === holders[o.holder]) q.cancel(w!, 4);
          holders[o.holder]!.release();
          holders = holders.map((h, i) => (i === o.holder ? new MsgHolder(100 + i, `w${i}`) : h));
        }
        const ids = q.messages().map((m) => m.id);
        t.deepEqual(ids, [...ids].sort((x, y) => x - y), 'arrival order');
        t.is(q.cbytes, ids.reduce((a, id) => a + sizes.get(id)!, 0));
        t.is(q.hbytes, q.held().reduce((a, h) => a + h.message.data.length, 0));
        t.is(q.hnum, holders.reduce((a, h) => a + h.held(q).length, 0), 'every held message belongs to a live holder');
        t.false(
          q.receivers().some((r) => q.messages().some((m) => (r.mode === 'any' ? true : r.mode === 'equal' ? m.type === r.type : r.mode === 'notequal' ? m.type !== r.type : m.type <= r.type))),
          'no sleeping receiver is left with a message it would take',
        );
      }
      // every sleeper gives up, every worker crashes, then one worker drains and acknowledges all
      for (const w of sleeping) if (w) q.cancel(w, 4);
      for (const h of holders) h.release();
      const last = new MsgHolder(200, 'drain');
      for (;;) {
        let r: Received;
        try {
          r = q.msgrcv({ maxSize: 50, nowait: true }, alice, last, noop) as Received;
        } catch {
          break;
        }
        last.ack(q, r.id);
        deliver(r.id);
      }
      t.deepEqual([...delivered.keys()].sort((x, y) => x - y), [...sent].sort((x, y) => x - y), 'none lost');
      t.true([...delivered.values()].every((n) => n === 1), 'none delivered twice');
      t.deepEqual([q.qnum, q.cbytes, q.hnum, q.hbytes], [0, 0, 0, 0]);
    }),
    { numRuns: 200 },
  );
});

test('held() lists holds in arrival order of the messages, whatever order they were received in', (t) => {
  const q = make();
  const h = new MsgHolder(50, 'w');
  q.msgsnd(1, b('first'), {}, alice, noop);
  q.msgsnd(2, b('second'), {}, alice, noop);
  q.msgsnd(3, b('third'), {}, alice, noop);
  rcv(q, h, { type: 3 });
  rcv(q, h, { type: 1 });
  rcv(q, h, { type: 2 });
  t.deepEqual(q.held().map((x) => x.message.data.toString()), ['first', 'second', 'third']);
  t.deepEqual(h.held(q).map((x) => x.message.data.toString()), ['first', 'second', 'third']);
  t.is(h.count, 3);
});

test('held messages count in msg_fits_inqueue\'s message bound too (1 + qnum + hnum <= qbytes), and in EAGAIN\'s message', (t) => {
  const q = make(3);
  const h = new MsgHolder(50, 'w');
  q.msgsnd(1, b(''), {}, alice, noop);
  q.msgsnd(1, b('x'), {}, alice, noop);
  rcv(q, h, { type: 1 }); // the empty one, held
  q.msgsnd(1, b(''), {}, alice, noop);
  t.deepEqual([q.qnum, q.hnum, q.cbytes, q.hbytes], [2, 1, 1, 0]);
  t.false(q.fits(0), '1 + 2 + 1 > 3');
  const e = thrown(() => q.msgsnd(1, b(''), { nowait: true }, alice, noop));
  t.deepEqual([e.code, e.message], ['EAGAIN', 'queue full (1 of 3 bytes, 3 messages)']);
  const q2 = make(5);
  const h2 = new MsgHolder(51, 'w');
  q2.msgsnd(1, b('abc'), {}, alice, noop);
  q2.msgsnd(1, b('d'), {}, alice, noop);
  rcv(q2, h2);
  const e2 = thrown(() => q2.msgsnd(1, b('ef'), { nowait: true }, alice, noop));
  t.deepEqual([e2.code, e2.message], ['EAGAIN', 'queue full (4 of 5 bytes, 2 messages)'], 'held bytes and messages included');
});

test('msgrcv with a released holder: EINVAL, nothing taken', (t) => {
  const q = make();
  const h = new MsgHolder(50, 'w');
  q.msgsnd(1, b('a'), {}, alice, noop);
  h.release();
  const e = thrown(() => rcv(q, h));
  t.deepEqual([e.code, e.message], ['EINVAL', 'holder released']);
  t.deepEqual(contents(q), ['a']);
});

test('ack: EINVAL for a message another holder holds; EIDRM once the queue is removed; removal empties every holder', (t) => {
  const q = make();
  const h1 = new MsgHolder(50, 'a');
  const h2 = new MsgHolder(51, 'b');
  q.msgsnd(1, b('x'), {}, alice, noop);
  q.msgsnd(1, b('y'), {}, alice, noop);
  const r1 = rcv(q, h1);
  rcv(q, h2);
  const e = thrown(() => h2.ack(q, r1.id));
  t.deepEqual([e.code, e.message], ['EINVAL', `message ${r1.id} is not held by this handle`]);
  t.is(q.hnum, 2, 'still held by h1');
  let calls = 0;
  q.watchers.add(() => calls++);
  q.remove();
  q.remove();
  t.is(calls, 1, 'a second remove changes nothing');
  t.deepEqual([h1.count, h2.count], [0, 0], 'the holders forgot the removed queue\'s messages');
  const gone = thrown(() => h1.ack(q, r1.id));
  t.deepEqual([gone.code, gone.message], ['EIDRM', 'queue removed']);
});

test('a released holder refuses an ack as released (not as "not held"), and a second release changes nothing', (t) => {
  const q = make();
  const h = new MsgHolder(50, 'w');
  q.msgsnd(1, b('m1'), {}, alice, noop);
  const r = rcv(q, h);
  h.release();
  const e = thrown(() => h.ack(q, r.id));
  t.is(e.code, 'EINVAL');
  t.is(e.message, 'holder released');
  h.release();
  t.deepEqual([contents(q), q.qnum, q.hnum, h.count], [['m1'], 1, 0, 0]);
});
