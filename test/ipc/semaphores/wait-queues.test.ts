/**
 * ipc/semaphores/wait-queues.ts against a literal transcription of Linux's lists (ipc/sem.c:
 * do_semtimedop's queueing, merge_queues, unmerge_queues, unlink_queue, count_semcnt, freeary's
 * order): random sequences of queueing, unlinking and settling, compared step by step, plus the
 * examples that name each rule.
 */
import test from 'ava';
import fc from 'fast-check';
import { Waiter, type SemOp } from '../../../ipc/semaphores/sem-set.js';
import { WaitQueues } from '../../../ipc/semaphores/wait-queues.js';

const NSEMS = 4;

function waiter(ops: SemOp[], blocking = 0, name = ''): Waiter {
  const w = new Waiter(ops, 1, null, () => {});
  w.blocking = blocking;
  (w as Waiter & { name: string }).name = name;
  return w;
}
const names = (ws: readonly Waiter[]): string[] => ws.map((w) => (w as Waiter & { name: string }).name);

/** Linux's lists, as sem.c keeps them: every semaphore has both lists, empty or not. */
class Model {
  setAlter: Waiter[] = [];
  setConst: Waiter[] = [];
  semAlter: Waiter[][] = Array.from({ length: NSEMS }, () => []);
  semConst: Waiter[][] = Array.from({ length: NSEMS }, () => []);
  complex = 0;

  add(w: Waiter): void {
    if (w.ops.length === 1) {
      const num = w.ops[0]!.num;
      if (!w.alter) this.semConst[num]!.push(w);
      else if (this.complex) this.setAlter.push(w);
      else this.semAlter[num]!.push(w);
      return;
    }
    if (this.complex === 0) {
      // merge_queues: list_splice_init of each semaphore's alter list onto the head of the set's
      for (let i = 0; i < NSEMS; i++) {
        this.setAlter = [...this.semAlter[i]!, ...this.setAlter];
        this.semAlter[i] = [];
      }
    }
    (w.alter ? this.setAlter : this.setConst).push(w);
    this.complex++;
  }

  unlink(w: Waiter): void {
    for (const l of [this.setAlter, this.setConst, ...this.semAlter, ...this.semConst]) {
      const i = l.indexOf(w);
      if (i >= 0) {
        l.splice(i, 1);
        if (w.ops.length > 1) this.complex--;
        return;
      }
    }
  }

  settle(): void {
    if (this.complex) return;
    // unmerge_queues: list_add_tail onto the list of each waiter's (only) semaphore
    for (const w of this.setAlter) this.semAlter[w.ops[0]!.num]!.push(w);
    this.setAlter = [];
  }

  all(): Waiter[] {
    return [...this.setConst, ...this.setAlter, ...Array.from({ length: NSEMS }, (_, n) => [...this.semConst[n]!, ...this.semAlter[n]!]).flat()];
  }

  /** count_semcnt with check_qop */
  count(num: number, zero: boolean): number {
    const qop = (w: Waiter): number => {
      const op = w.ops[w.blocking]!;
      return op.num === num && (zero ? op.op === 0 : op.op < 0) ? 1 : 0;
    };
    let n = (zero ? this.semConst[num]! : this.semAlter[num]!).length;
    for (const w of this.setAlter) n += qop(w);
    if (zero) for (const w of this.setConst) n += qop(w);
    return n;
  }
}

/** A waiter as do_semtimedop would queue it: its blocking operation is a decrement or a wait-for-zero. */
const arbWaiter = fc
  .array(fc.record({ num: fc.nat(NSEMS - 1), op: fc.integer({ min: -2, max: 1 }) }), { minLength: 1, maxLength: 3 })
  .chain((ops) => {
    const blockable = ops.map((o, i) => (o.op <= 0 ? i : -1)).filter((i) => i >= 0);
    if (!blockable.length) ops = [{ ...ops[0]!, op: -1 }, ...ops.slice(1)];
    return fc.constantFrom(...(blockable.length ? blockable : [0])).map((blocking) => ({ ops, blocking }));
  });

const arbStep = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('add' as const), w: arbWaiter }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('unlink' as const), which: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('settle' as const) }), weight: 2 },
);

test('property: the lists, their order and GETNCNT/GETZCNT follow Linux\'s step by step', (t) => {
  fc.assert(
    fc.property(fc.array(arbStep, { maxLength: 40 }), (steps) => {
      const q = new WaitQueues();
      const m = new Model();
      const queued: Waiter[] = [];
      let k = 0;
      for (const s of steps) {
        if (s.kind === 'add') {
          const w = waiter(s.w.ops, s.w.blocking, `w${k++}`);
          q.add(w);
          m.add(w);
          queued.push(w);
        } else if (s.kind === 'unlink') {
          if (!queued.length) continue;
          const w = queued.splice(s.which % queued.length, 1)[0]!;
          q.unlink(w);
          m.unlink(w);
          if (w.queued || w.list !== null) return false;
          q.unlink(w); // a second unlink does nothing
        } else {
          q.settle();
          m.settle();
        }
        if (q.size !== queued.length) return false;
        if (names(q.all()).join() !== names(m.all()).join()) return false;
        if (names(q.setAlter).join() !== names(m.setAlter).join() || names(q.setConst).join() !== names(m.setConst).join()) return false;
        const { ncnt, zcnt } = q.counts(NSEMS);
        for (let n = 0; n < NSEMS; n++) {
          if (names(q.alterOf(n)).join() !== names(m.semAlter[n]!).join() || names(q.constOf(n)).join() !== names(m.semConst[n]!).join()) return false;
          // per-semaphore lists exist only while they hold a waiter (a 32000-semaphore set costs nothing)
          if ((m.semAlter[n]!.length === 0) !== Object.isFrozen(q.alterOf(n))) return false;
          if ((m.semConst[n]!.length === 0) !== Object.isFrozen(q.constOf(n))) return false;
          if (q.ncnt(n) !== m.count(n, false) || q.zcnt(n) !== m.count(n, true)) return false;
          if (ncnt[n] !== q.ncnt(n) || zcnt[n] !== q.zcnt(n)) return false;
        }
        for (const w of queued) if (!w.list || !w.list.includes(w)) return false;
      }
      return true;
    }),
    { numRuns: 1000 },
  );
  t.pass();
});

test('simple waiters go to their semaphore\'s lists: decrements to alter, wait-for-zero to const', (t) => {
  const q = new WaitQueues();
  const a = waiter([{ num: 2, op: -1 }], 0, 'a');
  const z = waiter([{ num: 2, op: 0 }], 0, 'z');
  const b = waiter([{ num: 2, op: -3 }], 0, 'b');
  q.add(a);
  q.add(z);
  q.add(b);
  t.deepEqual(names(q.alterOf(2)), ['a', 'b']);
  t.deepEqual(names(q.constOf(2)), ['z']);
  t.deepEqual([q.setAlter.length, q.setConst.length, q.size], [0, 0, 3]);
  t.is<readonly Waiter[] | null, readonly Waiter[] | null>(a.list, q.alterOf(2));
  t.is<readonly Waiter[] | null, readonly Waiter[] | null>(z.list, q.constOf(2));
  t.deepEqual([q.ncnt(2), q.zcnt(2), q.ncnt(1), q.zcnt(1)], [2, 1, 0, 0]);
  q.unlink(a);
  t.deepEqual([a.queued, a.list], [false, null]);
  t.deepEqual(names(q.alterOf(2)), ['b']);
  q.unlink(b);
  q.unlink(z);
  t.is(q.size, 0);
  t.is(q.alterOf(2), q.constOf(5), 'empty lists are the one shared empty list: nothing is kept per semaphore');
});

test('the first complex waiter merges every semaphore\'s alter list onto the front of the set\'s, highest semaphore first', (t) => {
  const q = new WaitQueues();
  for (const [name, num] of [['a0', 0], ['b1', 1], ['c0', 0], ['d3', 3]] as const) q.add(waiter([{ num, op: -1 }], 0, name));
  q.add(waiter([{ num: 1, op: 0 }], 0, 'z1'));
  const x = waiter([{ num: 0, op: 1 }, { num: 1, op: -1 }], 1, 'x');
  q.add(x);
  t.deepEqual(names(q.setAlter), ['d3', 'b1', 'a0', 'c0', 'x']);
  t.is(q.alterOf(0).length + q.alterOf(1).length + q.alterOf(3).length, 0);
  t.deepEqual(names(q.constOf(1)), ['z1'], 'const lists are never merged');
  t.true(q.setAlter.every((w) => w.list === q.setAlter));
  // while a complex waiter waits, a simple decrement queues on the set's list too
  q.add(waiter([{ num: 2, op: -1 }], 0, 'e2'));
  t.deepEqual(names(q.setAlter), ['d3', 'b1', 'a0', 'c0', 'x', 'e2']);
  // a complex wait-for-zero goes to the set's const list; no second merge
  q.add(waiter([{ num: 0, op: 0 }, { num: 3, op: 0 }], 1, 'y'));
  t.deepEqual(names(q.setConst), ['y']);
  t.deepEqual(names(q.all()), ['y', 'd3', 'b1', 'a0', 'c0', 'x', 'e2', 'z1']);
  t.deepEqual([0, 1, 2, 3].map((n) => [q.ncnt(n), q.zcnt(n)]), [[2, 0], [2, 1], [1, 0], [1, 1]]);
  t.deepEqual(q.counts(4), { ncnt: Uint32Array.from([2, 2, 1, 1]), zcnt: Uint32Array.from([0, 1, 0, 1]) });
  q.settle();
  t.is(q.setAlter.length, 6, 'no unmerge while complex waiters wait');
  q.unlink(x);
  q.settle();
  t.is(q.setAlter.length, 5, 'one complex waiter (y) still waits');
  q.unlink(q.setConst[0]!);
  t.is(q.setAlter.length, 5, 'unlink alone does not unmerge');
  q.settle();
  t.deepEqual([q.setAlter.length, q.size], [0, 6]);
  t.deepEqual(names(q.alterOf(0)), ['a0', 'c0']);
  t.deepEqual(names(q.alterOf(3)), ['d3']);
  t.is<readonly Waiter[] | null, readonly Waiter[] | null>(q.alterOf(2)[0]!.list, q.alterOf(2));
  t.deepEqual(names(q.all()), ['a0', 'c0', 'z1', 'b1', 'e2', 'd3'], 'per semaphore: const list, then alter list');
});

test('merge goes by semaphore number, not by the order the lists appeared: the highest semaphore\'s waiters end first', (t) => {
  const q = new WaitQueues();
  q.add(waiter([{ num: 2, op: -1 }], 0, 'b2'));
  q.add(waiter([{ num: 0, op: -1 }], 0, 'a0'));
  q.add(waiter([{ num: 3, op: -1 }], 0, 'd3'));
  q.add(waiter([{ num: 1, op: -1 }, { num: 0, op: -1 }], 0, 'x'));
  t.deepEqual(names(q.setAlter), ['d3', 'b2', 'a0', 'x']);
});
