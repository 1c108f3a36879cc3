/**
 * ipc/mqueue/queue.ts against a reference model over random command sequences: the model keeps
 * every message in one flat list and picks "highest priority, then earliest arrival" by scanning;
 * it knows nothing of the queue's per-priority lists. After every command the deliveries (which
 * receiver got which message, which sender got in), refusals and the status must agree.
 *
 * Covered: priority order, FIFO within a priority, capacity (held messages take room), hand-off
 * to waiting receivers in arrival order, waiting senders entering in arrival order, cancels taking
 * nothing, holder release returning messages to their arrival place, ack exactly once.
 */
import test from 'ava';
import fc from 'fast-check';
import { Errno, ErrnoError } from '../../../ipc/errno.js';
import { MessageQueue, MqHolder, ReceiveWaiter, SendWaiter, type MqWaiter, type Received } from '../../../ipc/mqueue/queue.js';

interface MMsg {
  data: string;
  priority: number;
  seq: number;
}

/** The model: a flat list, scanned. */
class Model {
  queued: MMsg[] = [];
  held = new Map<number, { msg: MMsg; holder: number }>();
  senders: { key: number; data: string; priority: number }[] = [];
  receivers: { key: number; holder: number | null }[] = [];
  seq = 0;
  holdIds = 0;
  events: string[] = [];
  constructor(readonly maxmsg: number) {}

  room(): boolean {
    return this.queued.length + this.held.size < this.maxmsg;
  }

  best(): MMsg {
    let b = this.queued[0]!;
    for (const m of this.queued) if (m.priority > b.priority || (m.priority === b.priority && m.seq < b.seq)) b = m;
    this.queued.splice(this.queued.indexOf(b), 1);
    return b;
  }

  give(m: MMsg, holder: number | null): number | null {
    if (holder === null) return null;
    const id = ++this.holdIds;
    this.held.set(id, { msg: m, holder });
    return id;
  }

  pump(): void {
    for (;;) {
      if (this.queued.length && this.receivers.length) {
        const r = this.receivers.shift()!;
        const m = this.best();
        const id = this.give(m, r.holder);
        this.events.push(`recv#${r.key} ${m.priority}:${m.data} id=${id}`);
        continue;
      }
      if (this.senders.length && this.room()) {
        const s = this.senders.shift()!;
        this.queued.push({ data: s.data, priority: s.priority, seq: this.seq++ });
        this.events.push(`sent#${s.key}`);
        continue;
      }
      return;
    }
  }

  send(key: number, data: string, priority: number, nb: boolean): string {
    if (!this.room()) {
      if (nb) return 'EAGAIN';
      this.senders.push({ key, data, priority });
      return 'wait';
    }
    this.queued.push({ data, priority, seq: this.seq++ });
    this.pump();
    return 'done';
  }

  receive(key: number, holder: number | null, nb: boolean): string {
    if (!this.queued.length) {
      if (nb) return 'EAGAIN';
      this.receivers.push({ key, holder });
      return 'wait';
    }
    const m = this.best();
    const id = this.give(m, holder);
    this.pump();
    return `${m.priority}:${m.data} id=${id}`;
  }

  ack(holder: number, id: number): string {
    const h = this.held.get(id);
    if (!h || h.holder !== holder) return 'EINVAL';
    this.held.delete(id);
    this.pump();
    return 'ok';
  }

  release(holder: number): void {
    for (const [id, h] of [...this.held]) {
      if (h.holder !== holder) continue;
      this.held.delete(id);
      this.queued.push(h.msg);
    }
    this.pump();
  }

  cancel(key: number, errno: string): boolean {
    for (const list of [this.senders, this.receivers] as { key: number }[][]) {
      const i = list.findIndex((w) => w.key === key);
      if (i >= 0) {
        list.splice(i, 1);
        this.events.push(`cancel#${key} ${errno}`);
        return true;
      }
    }
    return false;
  }
}

type Cmd =
  | { c: 'send'; priority: number; bytes: number[]; nb: boolean }
  | { c: 'recv'; holder: number | null; nb: boolean }
  | { c: 'ack'; holder: number; pick: number }
  | { c: 'release'; holder: number }
  | { c: 'cancel'; pick: number; errno: 'ETIMEDOUT' | 'EINTR' };

const HOLDERS = 3;
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ c: fc.constant('send' as const), priority: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom(0, 32767)), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 4 }), nb: fc.boolean() }),
  fc.record({ c: fc.constant('recv' as const), holder: fc.option(fc.integer({ min: 0, max: HOLDERS - 1 }), { nil: null }), nb: fc.boolean() }),
  fc.record({ c: fc.constant('ack' as const), holder: fc.integer({ min: 0, max: HOLDERS - 1 }), pick: fc.nat() }),
  fc.record({ c: fc.constant('release' as const), holder: fc.integer({ min: 0, max: HOLDERS - 1 }) }),
  fc.record({ c: fc.constant('cancel' as const), pick: fc.nat(), errno: fc.constantFrom('ETIMEDOUT' as const, 'EINTR' as const) }),
);

const show = (r: Received): string => `${r.priority}:${r.data.toString('hex')} id=${r.id}`;

function errName(fn: () => string): string {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ErrnoError) return e.code;
    throw e;
  }
}

test('random sends, receives (with and without holders), acks, releases and cancels agree with the reference model', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }), fc.array(cmd, { maxLength: 120, size: 'large' }), (maxmsg, cmds) => {
      const q = new MessageQueue({ maxmsg, msgsize: 4 });
      const m = new Model(maxmsg);
      // holder slot -> [real holder, model id]; a released slot gets a fresh holder
      const holders = Array.from({ length: HOLDERS }, (_, i) => ({ real: new MqHolder(100 + i, `w${i}`), model: i }));
      let nextModelHolder = HOLDERS;
      const events: string[] = [];
      const waiters = new Map<number, MqWaiter>();
      const gotIds: { holder: number; id: number }[] = [];
      let key = 0;
      const modelHolderOf = (h: MqHolder | null): number | null => (h ? holders.find((x) => x.real === h)!.model : null);
      for (const c of cmds) {
        const k = key++;
        let real: string;
        let model: string;
        if (c.c === 'send') {
          const data = Buffer.from(c.bytes);
          const r = errName(() => {
            const out = q.send(data, c.priority, 1000 + k, c.nb, (errno) => events.push(errno ? `cancel#${k} ${new ErrnoError(errno).code}` : `sent#${k}`));
            if (out instanceof SendWaiter) {
              waiters.set(k, out);
              return 'wait';
            }
            return out;
          });
          real = r;
          model = m.send(k, data.toString('hex'), c.priority, c.nb);
        } else if (c.c === 'recv') {
          const slot = c.holder === null ? null : holders[c.holder]!;
          const r = errName(() => {
            const out = q.receive(4, 2000 + k, c.nb, slot?.real ?? null, (errno, got) => {
              if (errno) events.push(`cancel#${k} ${new ErrnoError(errno).code}`);
              else {
                events.push(`recv#${k} ${show(got!)}`);
                if (got!.id !== null) gotIds.push({ holder: slot!.model, id: got!.id });
              }
            });
            if (out instanceof ReceiveWaiter) {
              waiters.set(k, out);
              return 'wait';
            }
            if (out.id !== null) gotIds.push({ holder: slot!.model, id: out.id });
            return show(out);
          });
          real = r;
          model = m.receive(k, slot?.model ?? null, c.nb);
        } else if (c.c === 'ack') {
          const slot = holders[c.holder]!;
          // mostly ids it got (some already acked or released), sometimes another holder's
          const cand = gotIds.length ? gotIds[c.pick % gotIds.length]! : { holder: slot.model, id: 1 };
          real = errName(() => {
            q.ack(slot.real, cand.id);
            return 'ok';
          });
          model = m.ack(slot.model, cand.id);
        } else if (c.c === 'release') {
          const slot = holders[c.holder]!;
          // the fs layer's RELEASE: first the handle's waiting receives end, then its holder goes
          for (const [wk, w] of waiters) {
            if (w instanceof ReceiveWaiter && w.holder === slot.real && w.queued) {
              q.cancel(w, Errno.EINTR);
              m.cancel(wk, 'EINTR');
            }
          }
          slot.real.release();
          m.release(slot.model);
          slot.real = new MqHolder(100 + c.holder, `w${c.holder}`);
          slot.model = nextModelHolder++;
          real = model = 'released';
        } else {
          const live = [...waiters].filter(([, w]) => w.queued);
          if (!live.length) continue;
          const [wk, w] = live[c.pick % live.length]!;
          q.cancel(w, Errno[c.errno]);
          t.true(m.cancel(wk, c.errno));
          real = model = 'cancelled';
        }
        if (real !== model) return t.fail(`${JSON.stringify(c)}: queue ${real}, model ${model}`) as unknown as boolean;
        if (events.join('|') !== m.events.join('|')) return t.fail(`after ${JSON.stringify(c)}: events ${events.join('|')} vs model ${m.events.join('|')}`) as unknown as boolean;
        const s = q.status();
        const want = {
          curmsgs: m.queued.length,
          qsize: m.queued.reduce((n, x) => n + x.data.length / 2, 0),
          held: m.held.size,
          senders: m.senders.map((w) => 1000 + w.key),
          receivers: m.receivers.map((w) => 2000 + w.key),
          readable: m.queued.length > 0,
          writable: m.room(),
        };
        const got = { curmsgs: s.curmsgs, qsize: s.qsize, held: s.held.length, senders: s.senders, receivers: s.receivers, readable: q.readable, writable: q.writable };
        if (JSON.stringify(got) !== JSON.stringify(want)) return t.fail(`after ${JSON.stringify(c)}: status ${JSON.stringify(got)} vs model ${JSON.stringify(want)}`) as unknown as boolean;
        if (s.curmsgs + s.held.length > maxmsg) return t.fail('over capacity') as unknown as boolean;
      }
      return true;
    }),
    { numRuns: 400 },
  );
  t.pass();
});
