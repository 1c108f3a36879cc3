/**
 * SemSet at its edges: each validation with its errno and message, the boundaries of every range,
 * times and pids, watchers, and the wake-up scan's restarts. Complements sem-set.test.ts (the
 * semantics) so that a changed comparison or a dropped statement fails a test.
 */
import test from 'ava';
import { Errno, ErrnoError } from '../../../ipc/errno.js';
import { SemSet, type SemOp } from '../../../ipc/semaphores/sem-set.js';
import { UndoHolder } from '../../../ipc/semaphores/undo.js';
import { noop, thrown } from '../../helpers/errno.js';

function make(nsems: number, initial: number[] = [], o: { max?: number; maxAdj?: number; maxOps?: number; clock?: { t: number } } = {}): SemSet {
  const clock = o.clock ?? { t: 1000 };
  return new SemSet({ nsems, max: o.max ?? 10, overflowErrno: Errno.ERANGE, maxAdj: o.maxAdj ?? 5, maxOps: o.maxOps ?? 3, now: () => clock.t }, initial);
}
const err = (fn: () => unknown): [number, string] => {
  const e = thrown(fn);
  return [e.errno, e.message];
};

test('validation: each errno with its message, and the boundaries that pass', (t) => {
  const s = make(2, [5, 5]);
  t.deepEqual(err(() => s.semop([], 1, null, noop)), [Errno.EINVAL, 'no operations']);
  t.deepEqual(err(() => s.semop([{ num: 0, op: 0 }, { num: 0, op: 0 }, { num: 0, op: 0 }, { num: 0, op: 0 }], 1, null, noop)), [Errno.E2BIG, 'more than 3 operations']);
  t.is(s.semop([{ num: 0, op: 1 }, { num: 0, op: -1 }, { num: 1, op: 0 - 0 }].slice(0, 2), 1, null, noop), 'done');
  t.is(s.semop([{ num: 0, op: 1 }, { num: 0, op: 1 }, { num: 0, op: -2 }], 1, null, noop), 'done', 'SEMOPM itself is allowed');
  for (const num of [-1, 2, 0.5, NaN]) t.deepEqual(err(() => s.semop([{ num, op: 1 }], 1, null, noop)), [Errno.EFBIG, `semaphore ${num} not in 0..1`], String(num));
  t.is(s.semop([{ num: 1, op: 1 }], 1, null, noop), 'done', 'the last semaphore');
  t.deepEqual(err(() => s.semop([{ num: 0, op: 1.5 }], 1, null, noop)), [Errno.EINVAL, 'sem_op must be an integer']);
  t.deepEqual(err(() => s.semop([{ num: 0, op: 1 }, { num: 1, op: 1, undo: true }], 1, null, noop)), [Errno.EINVAL, 'undo needs a holder']);
  t.deepEqual(s.values, [5, 6], 'refused arrays changed nothing');
  t.deepEqual(err(() => s.semop([{ num: 0, op: 6 }], 1, null, noop)), [Errno.ERANGE, 'value would exceed 10']);
  t.is(s.semop([{ num: 0, op: 5 }], 1, null, noop), 'done', 'exactly max');
  t.deepEqual(s.values, [10, 6]);
  s.remove();
  t.deepEqual(err(() => s.semop([{ num: 0, op: -1 }], 1, null, noop)), [Errno.EIDRM, 'semaphore removed']);
  t.deepEqual(err(() => s.semop([], 1, null, noop)), [Errno.EINVAL, 'no operations'], 'EINVAL before EIDRM (do_semtimedop checks nsops first)');
});

test('a nowait op fails with EAGAIN only when it is the one that blocks', (t) => {
  const s = make(2, [0, 1]);
  t.deepEqual(err(() => s.semop([{ num: 1, op: -1 }, { num: 0, op: -1, nowait: true }], 1, null, noop)), [Errno.EAGAIN, 'would block']);
  t.deepEqual(err(() => s.semop([{ num: 0, op: 0 }, { num: 1, op: 0, nowait: true }], 1, null, noop)), [Errno.EAGAIN, 'would block'], 'wait-for-zero blocks too');
  const w = s.semop([{ num: 1, op: -1, nowait: true }, { num: 0, op: -1 }], 1, null, noop);
  t.not(w, 'done', 'the nowait op could proceed; the blocking one waits');
  t.is(s.waiting, 1);
  t.deepEqual(s.values, [0, 1]);
});

test('undo adjustments: the range is -(SEMAEM + 1) .. SEMAEM, as Linux checks it', (t) => {
  const s = make(1, [5], { maxAdj: 2 });
  const h = new UndoHolder(1, 'x');
  s.semop([{ num: 0, op: 2, undo: true }], 1, h, noop);
  t.is(h.get(s, 0), -2);
  s.semop([{ num: 0, op: 1, undo: true }], 1, h, noop);
  t.is(h.get(s, 0), -3, '-(SEMAEM + 1) is allowed');
  t.deepEqual(err(() => s.semop([{ num: 0, op: 1, undo: true }], 1, h, noop)), [Errno.ERANGE, 'undo adjustment out of range']);
  t.deepEqual(s.values, [8]);
  const h2 = new UndoHolder(2, 'y');
  s.semop([{ num: 0, op: -2, undo: true }], 2, h2, noop);
  t.is(h2.get(s, 0), 2, 'SEMAEM is allowed');
  t.deepEqual(err(() => s.semop([{ num: 0, op: -1, undo: true }], 2, h2, noop)), [Errno.ERANGE, 'undo adjustment out of range']);
  t.deepEqual(err(() => s.semop([{ num: 0, op: -1, undo: true }, { num: 0, op: 1, undo: true }, { num: 0, op: -1, undo: true }], 2, h2, noop)), [Errno.ERANGE, 'undo adjustment out of range'], 'the running sum within one array counts');
  t.is(s.semop([{ num: 0, op: 1, undo: true }, { num: 0, op: -1, undo: true }], 2, h2, noop), 'done', 'back and forth within range');
  t.is(h2.get(s, 0), 2);
  t.deepEqual(s.values, [6]);
});

test('times and pids: otime on every semop, ctime on setval/setall, pids of the ops and of undo', (t) => {
  const clock = { t: 1000 };
  const s = make(3, [1, 1, 1], { clock });
  t.is(s.ctime, 1000);
  t.is(s.otime, 0, 'never operated');
  clock.t = 2000;
  s.semop([{ num: 0, op: -1 }, { num: 2, op: 1 }], 42, null, noop);
  t.is(s.otime, 2000);
  t.is(s.ctime, 1000, 'semop does not change ctime');
  t.deepEqual(s.pids, [42, 0, 42]);
  clock.t = 3000;
  s.setval(1, 4, 43);
  t.deepEqual([s.ctime, s.otime], [3000, 2000], 'setval: ctime, not otime');
  t.deepEqual(s.pids, [42, 43, 42]);
  clock.t = 4000;
  s.setall([0, 0, 7], 44);
  t.deepEqual([s.ctime, s.otime], [4000, 2000]);
  t.deepEqual(s.pids, [44, 44, 44]);
  t.deepEqual(s.values, [0, 0, 7]);
  const h = new UndoHolder(45, 'u');
  clock.t = 5000;
  s.semop([{ num: 2, op: -2, undo: true }], 45, h, noop);
  t.deepEqual(s.pids, [44, 44, 45]);
  s.semop([{ num: 2, op: -1 }], 46, null, noop);
  h.release();
  t.deepEqual(s.values, [0, 0, 6]);
  t.deepEqual(s.pids, [44, 44, 45], 'the released holder\'s pid');
});

test('setval and setall: EIDRM, EINVAL for a bad number or count, ERANGE at the value bounds; nothing changes on error', (t) => {
  const s = make(2, [1, 2]);
  for (const num of [-1, 2, 0.5]) t.deepEqual(err(() => s.setval(num, 1, 9)), [Errno.EINVAL, `no semaphore ${num}`], String(num));
  for (const v of [-1, 11, 1.5]) t.deepEqual(err(() => s.setval(0, v, 9)), [Errno.ERANGE, 'value must be in 0..10'], String(v));
  s.setval(1, 10, 9);
  s.setval(0, 0, 9);
  t.deepEqual(s.values, [0, 10], '0 and max are allowed');
  t.deepEqual(err(() => s.setall([1], 9)), [Errno.EINVAL, 'SETALL needs 2 values']);
  t.deepEqual(err(() => s.setall([1, 2, 3], 9)), [Errno.EINVAL, 'SETALL needs 2 values']);
  t.deepEqual(err(() => s.setall([1, 11], 9)), [Errno.ERANGE, 'value must be in 0..10']);
  t.deepEqual(s.values, [0, 10], 'a refused SETALL set none of the values');
  s.remove();
  t.deepEqual(err(() => s.setval(0, 1, 9)), [Errno.EIDRM, 'semaphore removed']);
  t.deepEqual(err(() => s.setall([1, 1], 9))[0], Errno.EIDRM);
});

test('setval clears only that semaphore\'s adjustments, for every holder; setall clears all of them', (t) => {
  const s = make(2, [5, 5]);
  const a = new UndoHolder(1, 'a');
  const b = new UndoHolder(2, 'b');
  s.semop([{ num: 0, op: -1, undo: true }, { num: 1, op: -1, undo: true }], 1, a, noop);
  s.semop([{ num: 0, op: -1, undo: true }, { num: 1, op: -1, undo: true }], 2, b, noop);
  s.setval(0, 5, 3);
  t.deepEqual([a.entries(s), b.entries(s)], [[[1, 1]], [[1, 1]]]);
  s.setall([5, 5], 3);
  t.deepEqual([a.entries(s), b.entries(s)], [[], []]);
});

test('watchers hear every change: semop, a queued waiter, cancel, setval, setall, undo, remove', (t) => {
  const s = make(1, [0]);
  let calls = 0;
  s.watchers.add(() => calls++);
  const seen = (): number => {
    const c = calls;
    calls = 0;
    return c;
  };
  s.semop([{ num: 0, op: 1 }], 1, null, noop);
  t.true(seen() >= 1, 'semop');
  t.throws(() => s.semop([{ num: 0, op: -2, nowait: true }], 1, null, noop));
  t.is(seen(), 0, 'a refused semop changed nothing');
  const w = s.semop([{ num: 0, op: -2 }], 1, null, noop);
  t.true(seen() >= 1, 'a new waiter');
  if (w !== 'done') s.cancel(w, Errno.EINTR);
  t.true(seen() >= 1, 'cancel');
  if (w !== 'done') s.cancel(w, Errno.EINTR);
  t.is(seen(), 0, 'a second cancel is nothing');
  s.setval(0, 3, 1);
  t.true(seen() >= 1, 'setval');
  s.setall([2], 1);
  t.true(seen() >= 1, 'setall');
  const h = new UndoHolder(1, 'h');
  s.semop([{ num: 0, op: -1, undo: true }], 1, h, noop);
  seen();
  h.release();
  t.true(seen() >= 1, 'undo applied');
  const h2 = new UndoHolder(2, 'h2');
  h2.release();
  t.is(seen(), 0, 'a holder with nothing to apply');
  s.remove();
  t.true(seen() >= 1, 'remove');
  s.remove();
  t.is(seen(), 0, 'a second remove is nothing');
});

test('cancel completes the waiter once with the given errno; the queue forgets it', (t) => {
  const s = make(1, [0]);
  const got: number[] = [];
  const w = s.semop([{ num: 0, op: -1 }], 1, null, (e) => got.push(e));
  const w2 = s.semop([{ num: 0, op: -1 }], 2, null, (e) => got.push(100 + e));
  t.is(s.waiting, 2);
  if (w === 'done' || w2 === 'done') return t.fail();
  t.true(w.queued);
  s.cancel(w, Errno.ETIMEDOUT);
  t.false(w.queued);
  t.is(s.waiting, 1);
  s.cancel(w, Errno.EINTR);
  t.deepEqual(got, [Errno.ETIMEDOUT]);
  s.semop([{ num: 0, op: 1 }], 3, null, noop);
  t.deepEqual(got, [Errno.ETIMEDOUT, 100], 'the one left in the queue got the post');
  t.is(s.waiting, 0);
  t.false(w2.queued);
});

test('ncnt and zcnt count by the operation that blocks, per semaphore', (t) => {
  const s = make(2, [1, 0]);
  s.semop([{ num: 0, op: 0 }], 1, null, noop); // zero-wait on 0
  s.semop([{ num: 1, op: -1 }], 2, null, noop); // decrement on 1
  s.semop([{ num: 1, op: 1 }, { num: 0, op: -2 }], 3, null, noop); // blocks on 0 (op 1 would pass)
  s.semop([{ num: 0, op: -1 }, { num: 1, op: 0 }], 4, null, noop); // op 0 passes, blocks on 1? no: 1 is 0 -> done
  t.deepEqual(s.values, [0, 0], 'the fourth completed at once, which let the first through');
  t.deepEqual([s.ncnt(0), s.ncnt(1), s.zcnt(0), s.zcnt(1)], [1, 1, 0, 0]);
  s.semop([{ num: 1, op: 1 }], 5, null, noop); // wakes 2 (takes it); 3 still blocks on 0
  t.deepEqual([s.ncnt(0), s.ncnt(1), s.zcnt(0), s.zcnt(1)], [1, 0, 0, 0]);
  s.semop([{ num: 1, op: 0 }, { num: 0, op: 0 }, { num: 0, op: -1 }], 6, null, noop); // blocks on the third op (0: -1)
  t.deepEqual([s.ncnt(0), s.zcnt(0), s.zcnt(1)], [2, 0, 0]);
  s.setval(1, 1, 7);
  s.semop([{ num: 1, op: 0 }], 8, null, noop);
  t.deepEqual([s.ncnt(0), s.zcnt(1)], [1, 2], 'the rescan after setval found waiter 6 blocked on its first op now (1 is not 0)');
  t.is(s.waiting, 3);
});

test('the wake-up scan: a completion that changes values restarts it, so an earlier waiter gets the units released later in the queue', (t) => {
  const s = make(2, [0, 0]);
  const order: string[] = [];
  s.semop([{ num: 1, op: -1 }], 1, null, () => order.push('A: take 1'));
  s.semop([{ num: 0, op: -1 }, { num: 1, op: 1 }], 2, null, () => order.push('B: take 0, give 1'));
  s.semop([{ num: 0, op: 1 }], 3, null, noop);
  t.deepEqual(order, ['B: take 0, give 1', 'A: take 1']);
  t.deepEqual(s.values, [0, 0]);
});

test('the wake-up scan: a waiter that now fails (ERANGE) is completed with that errno and the scan goes on', (t) => {
  const s = make(1, [0], { max: 3 });
  const got: string[] = [];
  s.semop([{ num: 0, op: -1 }, { num: 0, op: 3 }], 1, null, (e) => got.push(`A ${e}`)); // would end at 3 + (value - 1)
  s.semop([{ num: 0, op: -1 }], 2, null, (e) => got.push(`B ${e}`));
  s.setval(0, 2, 9);
  t.deepEqual(got, [`A ${Errno.ERANGE}`, 'B 0']);
  t.deepEqual(s.values, [1]);
  t.is(s.waiting, 0);
});

test('the wake-up scan: zero-waiters complete without a restart, the scan continues past them', (t) => {
  const s = make(2, [1, 0]);
  const got: string[] = [];
  s.semop([{ num: 0, op: 0 }], 1, null, () => got.push('Z1'));
  s.semop([{ num: 0, op: 0 }], 2, null, () => got.push('Z2'));
  s.semop([{ num: 1, op: -1 }], 3, null, () => got.push('D'));
  s.setval(0, 0, 9);
  t.deepEqual(got, ['Z1', 'Z2']);
  s.setval(1, 1, 9);
  t.deepEqual(got, ['Z1', 'Z2', 'D']);
});

test('undo applied on release: clamped to 0 and to max, nothing on a removed set', (t) => {
  const s = make(2, [5, 5]);
  const h = new UndoHolder(1, 'h');
  s.semop([{ num: 0, op: 3, undo: true }, { num: 1, op: -3, undo: true }], 1, h, noop); // adj 0:-3, 1:+3
  s.setval(0, 1, 2); // clears adj of 0
  s.semop([{ num: 0, op: 2, undo: true }], 1, h, noop); // value 3, adj 0: -2
  s.semop([{ num: 0, op: -3 }], 2, null, noop); // value 0
  s.semop([{ num: 1, op: 8 }], 2, null, noop); // value 10
  h.release();
  t.deepEqual(s.values, [0, 10], 'clamped at 0 and at max');
  t.deepEqual(s.undoHolders(), []);
  const r = make(1, [5]);
  const hr = new UndoHolder(3, 'r');
  r.semop([{ num: 0, op: -1, undo: true }], 3, hr, noop);
  r.remove();
  hr.release();
  t.deepEqual(r.values, [4], 'a removed set is not touched');
  t.deepEqual(hr.entries(r), []);
});

test('a POSIX-style set reports its own overflow errno', (t) => {
  const s = new SemSet({ nsems: 1, max: 2, overflowErrno: Errno.EOVERFLOW, maxAdj: 2, maxOps: 1 }, [2]);
  t.deepEqual(err(() => s.semop([{ num: 0, op: 1 }], 1, null, noop)), [Errno.EOVERFLOW, 'value would exceed 2']);
  t.is(s.nsems, 1);
  t.true(Math.abs(s.ctime - Date.now()) < 5000, 'the default clock is Date.now');
  const ops: SemOp[] = [{ num: 0, op: -2 }];
  t.is(s.semop(ops, 1, null, noop), 'done');
});

test('the wake-up scan restarts after a waiter whose ops mix a wait-for-zero and a change', (t) => {
  const s = make(2, [0, 1]);
  const got: string[] = [];
  s.semop([{ num: 0, op: -1 }], 1, null, () => got.push('A takes 0'));
  s.semop([{ num: 1, op: 0 }, { num: 0, op: 1 }], 2, null, () => got.push('B: 1 is zero, gives 0'));
  s.setval(1, 0, 9);
  t.deepEqual(got, ['B: 1 is zero, gives 0', 'A takes 0'], 'A, ahead of B in the queue, got what B gave');
  t.deepEqual(s.values, [0, 0]);
});

test('ncnt counts only decrements and zcnt only zero-waits, each on its own semaphore', (t) => {
  const s = make(2, [0, 1]);
  s.semop([{ num: 1, op: 0 }], 1, null, noop); // zero-wait on 1
  s.semop([{ num: 0, op: -1 }], 2, null, noop); // decrement on 0
  t.deepEqual([s.ncnt(0), s.ncnt(1), s.zcnt(0), s.zcnt(1)], [1, 0, 0, 1]);
});

test('release of a holder whose adjustments all returned to 0 changes no value (exit_sem only stamps otime)', (t) => {
  const s = make(1, [5]);
  const h = new UndoHolder(1, 'h');
  s.semop([{ num: 0, op: -1, undo: true }], 1, h, noop);
  s.semop([{ num: 0, op: 1, undo: true }], 1, h, noop);
  let calls = 0;
  s.watchers.add(() => calls++);
  h.release();
  t.is(calls, 1, 'one notification: the otime stamp');
  t.deepEqual(s.values, [5]);
});

test('remove completes each waiter once: it is off the queue and a later cancel does nothing', (t) => {
  const s = make(1, [0]);
  const got: number[] = [];
  const w = s.semop([{ num: 0, op: -1 }], 1, null, (e) => got.push(e));
  s.remove();
  if (w === 'done') return t.fail();
  t.false(w.queued);
  s.cancel(w, Errno.EINTR);
  t.deepEqual(got, [Errno.EIDRM]);
  t.is(s.waiting, 0);
});

test('SETVAL stamps otime exactly when it lets a waiter complete, on whichever list it waited; a waiter that fails on retry does not count', (t) => {
  const at2000 = (nsems: number, initial: number[], waits: SemOp[][], change: (s: SemSet) => void): [number, number[]] => {
    const clock = { t: 1000 };
    const s = make(nsems, initial, { clock });
    const got: number[] = [];
    for (const ops of waits) t.not(s.semop(ops, 1, null, (e) => got.push(e)), 'done');
    clock.t = 2000;
    change(s);
    return [s.otime, got];
  };
  t.deepEqual(at2000(1, [1], [[{ num: 0, op: 0 }]], (s) => s.setval(0, 0, 9)), [2000, [0]], 'a semaphore\'s const list');
  t.deepEqual(at2000(2, [1, 1], [[{ num: 0, op: 0 }, { num: 1, op: 0 }]], (s) => s.setval(0, 0, 9)), [0, []], 'the set\'s const list, still blocked');
  t.deepEqual(at2000(2, [0, 1], [[{ num: 0, op: 0 }, { num: 1, op: 0 }]], (s) => s.setval(1, 0, 9)), [2000, [0]], 'the set\'s const list');
  t.deepEqual(at2000(1, [0], [[{ num: 0, op: -1 }]], (s) => s.setval(0, 1, 9)), [2000, [0]], 'a semaphore\'s alter list');
  t.deepEqual(at2000(2, [0, 0], [[{ num: 0, op: -1 }, { num: 1, op: -1 }]], (s) => s.setval(0, 1, 9)), [0, []], 'the set\'s alter list, still blocked');
  t.deepEqual(at2000(2, [1, 0], [[{ num: 0, op: -1 }, { num: 1, op: -1 }]], (s) => s.setall([1, 1], 9)), [2000, [0]], 'the set\'s alter list');
  t.deepEqual(at2000(2, [0, 6], [[{ num: 0, op: -1 }, { num: 1, op: 5 }]], (s) => s.setval(0, 1, 9)), [0, [Errno.ERANGE]], 'an alter waiter that now fails (ERANGE)');
  t.deepEqual(at2000(2, [1, 1], [[{ num: 0, op: 0 }, { num: 1, op: 0, nowait: true }]], (s) => s.setval(0, 0, 9)), [0, [Errno.EAGAIN]], 'a const waiter that now fails (EAGAIN)');
  t.deepEqual(at2000(1, [0], [[{ num: 0, op: -1 }]], (s) => s.semop([{ num: 0, op: 1 }], 9, null, noop)), [2000, [0]], 'a semop stamps anyway');
});

test('a change wakes the set\'s const list only when a changed semaphore is 0, and each semaphore\'s lists only for what changed', (t) => {
  const s = make(3, [1, 1, 1]);
  const got: string[] = [];
  s.semop([{ num: 0, op: 0 }, { num: 1, op: 0 }], 1, null, (e) => got.push(`c ${e}`)); // set's const list, blocks on 0
  s.semop([{ num: 2, op: -2 }], 1, null, (e) => got.push(`d ${e}`)); // semaphore 2's alter list
  s.semop([{ num: 1, op: -1 }], 1, null, noop); // 1 -> 0: not the blocking semaphore
  t.deepEqual(got, []);
  s.semop([{ num: 0, op: -1 }, { num: 2, op: 1 }], 1, null, noop); // 0 -> 0 and 2 -> 2
  t.deepEqual(got, ['c 0', 'd 0']);
  t.deepEqual(s.values, [0, 0, 0]);
});

test('update_queue restarts from the front after each completion while the set\'s list is in use: an earlier waiter goes before a later one', (t) => {
  const s = make(2, [1, 0]);
  const got: string[] = [];
  const wait = (name: string, ops: SemOp[]): void => void s.semop(ops, 1, null, (e) => got.push(`${name} ${e}`));
  wait('X', [{ num: 0, op: 0 }, { num: 1, op: 1 }]); // waits for 0 on semaphore 0 (complex: the set's list)
  wait('Y', [{ num: 0, op: -2 }]); // simple, but queued on the set's list behind X
  wait('Z', [{ num: 0, op: 0 }, { num: 0, op: 1 }]); // would take semaphore 0 away from zero
  s.semop([{ num: 0, op: 1 }], 2, null, noop);
  t.deepEqual(got, ['Y 0', 'X 0', 'Z 0'], 'after Y, the scan starts over: X before Z');
  t.deepEqual(s.values, [1, 1]);
});

test('waitCounts is GETNCNT and GETZCNT of every semaphore; attachedHolders lists holders in attach order; SETALL on a removed set names EIDRM', (t) => {
  const s = make(3, [0, 1, 0]);
  s.semop([{ num: 0, op: -1 }], 1, null, noop);
  s.semop([{ num: 1, op: 0 }], 1, null, noop);
  s.semop([{ num: 2, op: 0 }, { num: 0, op: -2 }], 1, null, noop);
  t.deepEqual(s.waitCounts(), { ncnt: Uint32Array.from([2, 0, 0]), zcnt: Uint32Array.from([0, 1, 0]) });
  const [a, b] = [new UndoHolder(1, 'a'), new UndoHolder(2, 'b')];
  s.semop([{ num: 1, op: 0, undo: true }], 2, b, noop);
  s.semop([{ num: 2, op: 1, undo: true }], 1, a, noop);
  t.deepEqual(s.attachedHolders(), [b, a]);
  t.deepEqual(s.undoHolders(), [a], 'b holds nothing');
  s.remove();
  t.deepEqual(err(() => s.setall([1, 1, 1], 1)), [Errno.EIDRM, 'semaphore removed']);
});
