/**
 * ipc/mqueue/queue.ts: waiting receivers and senders are served as ipc/mqueue.c's wq_add and
 * wq_get_first_waiter serve them: the smallest task prio first (real-time before normal, then by
 * nice), the longest waiting among equals; the priority is asked for only when a call waits.
 */
import test from 'ava';
import fc from 'fast-check';
import { Errno } from '../../../ipc/errno.js';
import { MessageQueue, ReceiveWaiter, type MqWaiter, type Received } from '../../../ipc/mqueue/queue.js';

const mk = (maxmsg = 1): MessageQueue => new MessageQueue({ maxmsg, msgsize: 8 }, () => 5);
const noop = (): void => {};

test('receivers: the most urgent first, the oldest among equals; an immediate receive never asks', (t) => {
  const q = mk();
  const got: string[] = [];
  for (const [name, prio] of [['n0', 120], ['rt5', 94], ['nice-5', 115], ['n0b', 120], ['rt5b', 94]] as const) {
    const w = q.receive(8, 1, false, null, (errno, m) => got.push(`${name}:${m?.data.toString()}`), null, () => prio);
    t.true(w instanceof ReceiveWaiter, 'it waits');
  }
  for (const m of ['a', 'b', 'c', 'd', 'e']) t.is(q.send(Buffer.from(m), 0, 2, true, noop, null, () => t.fail('a send that does not wait asked')), 'done');
  t.deepEqual(got, ['rt5:a', 'rt5b:b', 'nice-5:c', 'n0:d', 'n0b:e']);
});

test('property: senders enter a full queue in (prio, arrival) order, whatever cancels in between', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.record({ prio: fc.constantFrom(0, 98, 100, 120, 139) }), fc.record({ cancel: fc.nat(20) })), { maxLength: 40 }),
      (steps) => {
        const q = mk(1);
        q.send(Buffer.from('x'), 0, 1, true, noop);
        const waiting: { w: MqWaiter; prio: number; n: number }[] = [];
        steps.forEach((s, n) => {
          if ('prio' in s) {
            const w = q.send(Buffer.from(String(n)), 0, 1, false, noop, null, () => s.prio);
            if (w !== 'done') waiting.push({ w, prio: s.prio, n });
          } else if (waiting.length) {
            const [victim] = waiting.splice(s.cancel % waiting.length, 1);
            q.cancel(victim!.w, Errno.ETIMEDOUT);
          }
        });
        const expected = [...waiting].sort((a, b) => a.prio - b.prio || a.n - b.n).map((x) => String(x.n));
        const order: string[] = [];
        q.receive(8, 2, true, null, noop); // the 'x'
        for (let i = 0; i < expected.length; i++) order.push((q.receive(8, 2, true, null, noop) as Received).data.toString());
        return JSON.stringify(order) === JSON.stringify(expected);
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});
