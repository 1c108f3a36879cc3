/**
 * Waiters ordered by scheduling priority (ipc/sched-order.ts, ipc/semaphores/wait-queues.ts): a POSIX
 * semaphore's post completes the waiter kernel/futex would wake, the most urgent (smallest prio),
 * the longest waiting among equals, whatever the order of arrivals, timeouts and interruptions; and
 * postHandoff (early replies) names that same waiter. The priority is asked for only when a call
 * waits. Without a priority (System V) the lists stay in arrival order: sem.c's.
 */
import test from 'ava';
import fc from 'fast-check';
import { Errno } from '../../../ipc/errno.js';
import { insertByPrio } from '../../../ipc/sched-order.js';
import { SemSet, type Waiter } from '../../../ipc/semaphores/sem-set.js';

const posix = (value = 0): SemSet => new SemSet({ nsems: 1, max: 2147483647, overflowErrno: Errno.EOVERFLOW, maxAdj: 32767, maxOps: 1 }, [value]);
const WAIT = [{ num: 0, op: -1 }];
const POST = [{ num: 0, op: 1 }];

type Step = { kind: 'wait'; prio: number } | { kind: 'post' } | { kind: 'cancel'; i: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('wait' as const), prio: fc.constantFrom(-1, 0, 1, 50, 97, 98, 100) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'post' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), i: fc.nat(30) }) },
);

test('property: each post completes the most urgent waiter, the oldest among equals (the futex plist order)', (t) => {
  fc.assert(
    fc.property(fc.array(stepArb, { maxLength: 60 }), (steps) => {
      const set = posix();
      const completed: number[] = [];
      // the model: waiting arrivals, in arrival order
      let model: { id: number; prio: number }[] = [];
      let value = 0;
      let next = 0;
      const live = new Map<number, Waiter>();
      for (const s of steps) {
        if (s.kind === 'wait') {
          const id = next++;
          let asked = 0;
          const r = set.semop(WAIT, 1, null, (errno) => errno === 0 && completed.push(id), id, () => (asked++, s.prio));
          if (value > 0) {
            if (r !== 'done' || asked !== 0) return false; // took a unit at once, never asked its priority
            value--;
          } else {
            if (r === 'done' || asked !== 1) return false;
            live.set(id, r);
            model.push({ id, prio: s.prio });
          }
        } else if (s.kind === 'post') {
          const best = model.reduce<{ id: number; prio: number } | null>((b, w) => (!b || w.prio < b.prio ? w : b), null);
          const handoff = set.postHandoff();
          if ((handoff?.tag ?? null) !== (best?.id ?? null)) return false;
          const before = completed.length;
          set.semop(POST, 2, null, () => {});
          if (best) {
            if (completed.length !== before + 1 || completed.at(-1) !== best.id) return false;
            model = model.filter((w) => w !== best);
            live.delete(best.id);
          } else value++;
        } else if (model.length) {
          const victim = model[s.i % model.length]!;
          set.cancel(live.get(victim.id)!, Errno.EINTR);
          model = model.filter((w) => w !== victim);
          live.delete(victim.id);
        }
        if (set.values[0] !== value || set.waiting !== model.length) return false;
      }
      return true;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('property: insertByPrio keeps a list sorted by prio and stable (FIFO among equals)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 50 }), (prios) => {
      const list: { prio: number; n: number }[] = [];
      prios.forEach((prio, n) => insertByPrio(list, { prio, n }));
      const expected = prios.map((prio, n) => ({ prio, n })).sort((a, b) => a.prio - b.prio || a.n - b.n);
      return JSON.stringify(list) === JSON.stringify(expected);
    }),
  );
  t.pass();
});

test('sem_post/8-1: waiters at SCHED_FIFO 3, 1, 2 (prio 96, 98, 97) and a normal one are woken 3, 2, 1, then the normal one', (t) => {
  const set = posix();
  const order: string[] = [];
  for (const [name, prio] of [['normal', 100], ['fifo3', 96], ['fifo1', 98], ['fifo2', 97]] as const) {
    set.semop(WAIT, 1, null, () => order.push(name), null, () => prio);
  }
  for (let i = 0; i < 4; i++) set.semop(POST, 2, null, () => {});
  t.deepEqual(order, ['fifo3', 'fifo2', 'fifo1', 'normal']);
});

test('without a priority (System V) waiters keep arrival order', (t) => {
  const set = new SemSet({ nsems: 1, max: 32767, overflowErrno: Errno.ERANGE, maxAdj: 32767, maxOps: 500 }, [0]);
  const order: number[] = [];
  for (let i = 0; i < 5; i++) set.semop(WAIT, 1, null, () => order.push(i));
  set.semop([{ num: 0, op: 5 }], 2, null, () => {});
  t.deepEqual(order, [0, 1, 2, 3, 4]);
});

test('a nowait call that fails never asks the priority', (t) => {
  const set = posix();
  let asked = 0;
  t.throws(() => set.semop([{ num: 0, op: -1, nowait: true }], 1, null, () => {}, null, () => ++asked), { message: /would block/ });
  t.is(asked, 0);
});
