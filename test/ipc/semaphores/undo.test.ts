/**
 * ipc/semaphores/undo.ts: the undo budget. Every adjustment entry a holder keeps is paid for
 * exactly once (taken when it appears, given back when it returns to 0, is cleared by SETVAL or
 * SETALL, its set is removed or its holder released), a semop the budget refuses is ENOMEM and
 * changes nothing, and an entry that already exists costs nothing more.
 */
import test from 'ava';
import fc from 'fast-check';
import { Errno, ErrnoError, fail } from '../../../ipc/errno.js';
import { SemSet, type SemOp } from '../../../ipc/semaphores/sem-set.js';
import { UndoHolder, type UndoBudget } from '../../../ipc/semaphores/undo.js';

const noop = (): void => {};
const make = (nsems: number, initial: number[] = []): SemSet =>
  new SemSet({ nsems, max: 100, overflowErrno: Errno.ERANGE, maxAdj: 100, maxOps: 10, now: () => 1 }, initial);

/** A budget that records each call and refuses (ENOMEM) past limit entries. */
class Ledger implements UndoBudget {
  calls: string[] = [];
  net = 0;
  constructor(readonly limit = Infinity) {}
  take(n: number): void {
    this.calls.push(`take ${n}`);
    if (this.net + n > this.limit) fail(Errno.ENOMEM, 'undo budget');
    this.net += n;
  }
  give(n: number): void {
    this.calls.push(`give ${n}`);
    this.net -= n;
  }
}

function errnoOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof ErrnoError) return e.errno;
    throw e;
  }
  return 0;
}

test('reserve takes one per new non-zero entry, only when there is one; existing entries and zero adjustments cost nothing', (t) => {
  const s = make(3, [5, 5, 5]);
  const b = new Ledger();
  const h = new UndoHolder(1, 'p', b);
  const op = (ops: SemOp[]): unknown => s.semop(ops.map((o) => ({ ...o, undo: true })), 1, h, noop);
  op([{ num: 0, op: 0 }]);
  t.deepEqual(b.calls, [], 'a wait-for-zero with SEM_UNDO makes no entry (its adjustment is 0)');
  t.deepEqual(h.entries(s), []);
  op([{ num: 0, op: -1 }, { num: 1, op: -1 }, { num: 0, op: -1 }]);
  t.deepEqual(b.calls, ['take 2'], 'two semaphores, two entries, one take');
  t.deepEqual(h.entries(s), [[0, 2], [1, 1]]);
  op([{ num: 0, op: -1 }]);
  t.deepEqual(b.calls, ['take 2'], 'an existing entry costs nothing');
  op([{ num: 1, op: 1 }, { num: 2, op: 1 }, { num: 2, op: -1 }]);
  t.deepEqual(b.calls, ['take 2', 'give 1'], 'num 1 returned to 0 (given back); num 2 nets 0 (never taken)');
  t.deepEqual(h.entries(s), [[0, 3]]);
  t.is(b.net, 1);
});

test('a refused reserve is ENOMEM from the budget and changes no value, pid, adjustment or otime', (t) => {
  const s = make(2, [5, 5]);
  const b = new Ledger(1);
  const h = new UndoHolder(7, 'p', b);
  s.semop([{ num: 0, op: -1, undo: true }], 7, h, noop);
  const before = JSON.stringify([s.values, s.pids, s.otime, h.entries(s)]);
  t.is(errnoOf(() => s.semop([{ num: 0, op: -1, undo: true }, { num: 1, op: -1, undo: true }], 8, h, noop)), Errno.ENOMEM);
  t.is(JSON.stringify([s.values, s.pids, s.otime, h.entries(s)]), before);
  t.is(b.net, 1);
  t.is(s.semop([{ num: 0, op: -2, undo: true }], 8, h, noop), 'done', 'growing an existing entry is still possible');
  t.deepEqual(h.entries(s), [[0, 3]]);
});

test('clear, forget and release give back exactly what is held, once; no budget means no accounting', (t) => {
  const s = make(3, [9, 9, 9]);
  const s2 = make(2, [9, 9]);
  const b = new Ledger();
  const h = new UndoHolder(1, 'p', b);
  s.semop([{ num: 0, op: -1, undo: true }, { num: 1, op: -1, undo: true }, { num: 2, op: -1, undo: true }], 1, h, noop);
  s2.semop([{ num: 0, op: -1, undo: true }, { num: 1, op: -1, undo: true }], 1, h, noop);
  t.is(b.net, 5);
  b.calls = [];
  h.clear(s, 1);
  h.clear(s, 1);
  t.deepEqual(b.calls, ['give 1'], 'a second clear finds nothing');
  s.setval(0, 3, 1);
  t.deepEqual(b.calls, ['give 1', 'give 1']);
  h.forget(s);
  t.deepEqual(b.calls, ['give 1', 'give 1', 'give 1'], 'forget gives back what is left on the set');
  h.forget(s);
  t.is(b.calls.length, 3, 'forgetting a set with nothing left gives nothing');
  h.release();
  h.release();
  t.deepEqual(b.calls, ['give 1', 'give 1', 'give 1', 'give 2'], 'release gives back each set\'s entries, once');
  t.is(b.net, 0);
  t.deepEqual(s2.values, [9, 9], 'and applied them');

  const free = new UndoHolder(2, 'q');
  s.semop([{ num: 0, op: -1, undo: true }], 2, free, noop);
  t.deepEqual(free.entries(s), [[0, 1]]);
  free.release();
  t.deepEqual(s.values, [3, 8, 8], "the holder without a budget applied its adjustment too");
});

test('a holder attached by a semop that made no entry gives nothing back on release', (t) => {
  const s = make(1, [0]);
  const b = new Ledger();
  const h = new UndoHolder(1, 'p', b);
  t.is(errnoOf(() => s.semop([{ num: 0, op: -1, undo: true, nowait: true }], 1, h, noop)), Errno.EAGAIN);
  h.release();
  t.deepEqual(b.calls, []);
});

type Step =
  | { kind: 'op'; h: number; set: number; ops: { num: number; op: number }[] }
  | { kind: 'setval'; set: number; num: number; v: number }
  | { kind: 'setall'; set: number; v: number }
  | { kind: 'remove'; set: number }
  | { kind: 'release'; h: number };

test('property: what the budget holds is always the entries the holders keep; refusals change nothing; all is given back', (t) => {
  const step: fc.Arbitrary<Step> = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('op' as const), h: fc.nat(2), set: fc.nat(1), ops: fc.array(fc.record({ num: fc.nat(2), op: fc.integer({ min: -2, max: 2 }) }), { minLength: 1, maxLength: 4 }) }), weight: 6 },
    fc.record({ kind: fc.constant('setval' as const), set: fc.nat(1), num: fc.nat(2), v: fc.nat(20) }),
    fc.record({ kind: fc.constant('setall' as const), set: fc.nat(1), v: fc.nat(20) }),
    fc.record({ kind: fc.constant('remove' as const), set: fc.nat(1) }),
    fc.record({ kind: fc.constant('release' as const), h: fc.nat(2) }),
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), fc.integer({ min: 1, max: 6 }), (steps, limit) => {
      const b = new Ledger(limit);
      const sets = [make(3, [10, 10, 10]), make(3, [10, 10, 10])];
      const holders: UndoHolder[] = [0, 1, 2].map((i) => new UndoHolder(i + 1, `p${i}`, b));
      const held = (): number => holders.reduce((a, h) => a + sets.reduce((n, s) => n + h.entries(s).length, 0), 0);
      for (const s of steps) {
        try {
          if (s.kind === 'op') {
            const set = sets[s.set]!;
            const before = JSON.stringify(set.values);
            const net = b.net;
            try {
              set.semop(s.ops.map((o) => ({ ...o, undo: true, nowait: true })), 1, holders[s.h]!, noop);
            } catch (e) {
              if (!(e instanceof ErrnoError)) throw e;
              if (JSON.stringify(set.values) !== before || b.net !== net) return false;
            }
          } else if (s.kind === 'setval') sets[s.set]!.setval(s.num, s.v, 1);
          else if (s.kind === 'setall') sets[s.set]!.setall([s.v, s.v, s.v], 1);
          else if (s.kind === 'remove') sets[s.set]!.remove();
          else {
            // a released handle is gone; its file's next open brings a new holder
            holders[s.h]!.release();
            holders[s.h] = new UndoHolder(s.h + 1, `p${s.h}`, b);
          }
        } catch (e) {
          if (!(e instanceof ErrnoError) || e.errno !== Errno.EIDRM) throw e;
        }
        if (b.net !== held() || b.net < 0 || b.net > limit) return false;
      }
      for (const h of holders) h.release();
      return b.net === 0;
    }),
    { numRuns: 300 },
  );
  t.pass();
});
