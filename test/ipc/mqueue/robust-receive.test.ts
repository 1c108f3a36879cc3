/**
 * Robust receive (issue 7 point 4) on the state machine: a producer sends 500 numbered messages
 * (blocking when the queue is full) while workers receive with a holder, acknowledge, and crash at
 * random (their holder released with messages unacknowledged, waiting receives cancelled as the fs
 * layer does at RELEASE). At the end every message was acknowledged exactly once: none lost, none
 * acknowledged twice, and a second ack of any id is refused (EINVAL).
 */
import test from 'ava';
import fc from 'fast-check';
import { Errno } from '../../../ipc/errno.js';
import { MessageQueue, MqHolder, ReceiveWaiter, SendWaiter, type Received } from '../../../ipc/mqueue/queue.js';
import { thrown } from '../../helpers/errno.js';
import { prng as rng } from '../../helpers/prng.js';

const TOTAL = 500;


interface Worker {
  holder: MqHolder;
  /** ids it holds, with the message number */
  holding: { id: number; n: number }[];
  waiting: ReceiveWaiter | null;
  acked: { id: number }[];
}

test('500 messages, workers crashing at random: every message acknowledged exactly once', (t) => {
  let crashesHolding = 0;
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 }), (seed, maxmsg, nworkers) => {
      const r = rng(seed);
      const q = new MessageQueue({ maxmsg, msgsize: 8 });
      const acked = new Map<number, number>();
      let sent = 0;
      let sender: SendWaiter | null = null;
      const newWorker = (i: number): Worker => ({ holder: new MqHolder(100 + i, `worker-${i}`), holding: [], waiting: null, acked: [] });
      const workers = Array.from({ length: nworkers }, (_, i) => newWorker(i));
      const got = (w: Worker, m: Received): void => {
        t.not(m.id, null);
        w.holding.push({ id: m.id!, n: m.data.readUInt32BE(4) });
      };
      const sendNext = (): void => {
        const data = Buffer.alloc(8);
        data.write('msg:', 0);
        data.writeUInt32BE(sent, 4);
        const out = q.send(data, Math.floor(r() * 4), 1, false, (e) => {
          if (e === 0) sender = null;
        });
        sent++;
        if (out instanceof SendWaiter) sender = out;
      };
      for (let steps = 0; steps < 200_000; steps++) {
        if (acked.size === TOTAL && q.curmsgs === 0 && q.heldCount === 0) break;
        const x = r();
        const w = workers[Math.floor(r() * workers.length)]!;
        const i = workers.indexOf(w);
        if (x < 0.3) {
          if (!sender && sent < TOTAL) sendNext();
        } else if (x < 0.55) {
          if (w.waiting?.queued) continue;
          const nonblocking = r() < 0.5;
          if (nonblocking && !q.readable) {
            if (thrown(() => q.receive(8, 100 + i, true, w.holder, () => {})).errno !== Errno.EAGAIN) return false;
            continue;
          }
          const out = q.receive(8, 100 + i, nonblocking, w.holder, (e, m) => {
            if (e === 0) got(w, m!);
          });
          if (out instanceof ReceiveWaiter) w.waiting = out;
          else got(w, out);
        } else if (x < 0.85) {
          const h = w.holding.shift();
          if (!h) continue;
          q.ack(w.holder, h.id);
          acked.set(h.n, (acked.get(h.n) ?? 0) + 1);
          w.acked.push({ id: h.id });
        } else if (x < 0.9 && w.acked.length) {
          const old = w.acked[Math.floor(r() * w.acked.length)]!;
          if (thrown(() => q.ack(w.holder, old.id)).errno !== Errno.EINVAL) return false;
        } else if (x < 0.95) {
          // SIGKILL: the handle's RELEASE cancels its wait and releases its holder
          if (w.waiting?.queued) q.cancel(w.waiting, Errno.EINTR);
          if (w.holding.length) crashesHolding++;
          w.holder.release();
          for (const h of w.holding) if (thrown(() => q.ack(w.holder, h.id)).errno !== Errno.EINVAL) return false;
          workers[i] = newWorker(i);
        }
        if (q.curmsgs + q.heldCount > maxmsg) return false;
      }
      t.is(sent, TOTAL);
      t.is(acked.size, TOTAL, 'none lost');
      t.true([...acked.values()].every((c) => c === 1), 'none acknowledged twice');
      t.is(q.curmsgs + q.heldCount, 0);
      return acked.size === TOTAL && [...acked.values()].every((c) => c === 1);
    }),
    { numRuns: 25 },
  );
  t.true(crashesHolding > 25, `workers crashed holding messages ${crashesHolding} times`);
});
