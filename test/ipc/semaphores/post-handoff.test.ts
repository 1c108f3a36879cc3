/**
 * SemSet.postHandoff (ipc/semaphores/sem-set.ts): the waiter it names must be the one a bare post
 * (+1 on semaphore 0, no undo) completes, with success, on the state as it is. fs/fuse/early-replies.ts
 * answers that waiter before the post runs, so a wrong answer here is a unit given twice or lost.
 *
 * Random sets (1..3 semaphores, POSIX- and SysV-like options, small SEMAEM so undo limits bite),
 * random histories of semop (single and multi-op, undo, nowait, blocking) through holders with and
 * without a budget that refuses, setval, setall, cancels and holder releases; at random points the
 * handoff is checked by running the post.
 */
import test from 'ava';
import fc from 'fast-check';
import { Errno, ErrnoError, fail } from '../../../ipc/errno.js';
import { SemSet, type SemOp, type Waiter } from '../../../ipc/semaphores/sem-set.js';
import { UndoHolder, type UndoBudget } from '../../../ipc/semaphores/undo.js';

/** Refuses (ENOMEM) past limit entries, as the daemon's per-user budget does. */
class Budget implements UndoBudget {
  net = 0;
  constructor(readonly limit: number) {}
  take(n: number): void {
    if (this.net + n > this.limit) fail(Errno.ENOMEM, 'undo budget');
    this.net += n;
  }
  give(n: number): void {
    this.net -= n;
  }
}

type Step =
  | { kind: 'semop'; h: number; ops: SemOp[] }
  | { kind: 'setval'; num: number; value: number }
  | { kind: 'setall'; values: number[] }
  | { kind: 'cancel'; i: number; errno: number }
  | { kind: 'release'; h: number }
  | { kind: 'post' };

const HOLDERS = 4;

const opArb = fc.record({
  num: fc.integer({ min: 0, max: 2 }),
  op: fc.constantFrom(-2, -1, -1, -1, 0, 1, 1, 2),
  undo: fc.boolean(),
  nowait: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
});

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('semop' as const), h: fc.integer({ min: -1, max: HOLDERS - 1 }), ops: fc.array(opArb, { minLength: 1, maxLength: 3 }) }) },
  // the common case the handoff is about: plain single waits on semaphore 0
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('semop' as const), h: fc.integer({ min: -1, max: HOLDERS - 1 }), ops: fc.tuple(fc.boolean()).map(([undo]) => [{ num: 0, op: -1, undo }]) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setval' as const), num: fc.integer({ min: 0, max: 2 }), value: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setall' as const), values: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), i: fc.nat(20), errno: fc.constantFrom(Errno.EINTR, Errno.EAGAIN, Errno.ETIMEDOUT) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), h: fc.integer({ min: 0, max: HOLDERS - 1 }) }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'post' as const }) },
);

const setArb = fc.record({
  nsems: fc.integer({ min: 1, max: 3 }),
  posix: fc.boolean(),
  max: fc.constantFrom(1, 2, 5, 32767),
  maxAdj: fc.integer({ min: 1, max: 3 }),
  initial: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 3, maxLength: 3 }),
  budgets: fc.array(fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }), { minLength: HOLDERS, maxLength: HOLDERS }),
});

let handoffs = 0;
let checkedPosts = 0;

type SetConfig = typeof setArb extends fc.Arbitrary<infer C> ? C : never;

function runHistory(cfg: SetConfig, steps: Step[]): void {
  const { nsems, posix } = cfg;
  const set = new SemSet(
    { nsems, max: cfg.max, overflowErrno: posix ? Errno.EOVERFLOW : Errno.ERANGE, maxAdj: cfg.maxAdj, maxOps: 4, now: () => 1 },
    cfg.initial.slice(0, nsems).map((v) => Math.min(v, cfg.max)),
  );
  const holderAt = (i: number): UndoHolder => new UndoHolder(100 + i, 'p', cfg.budgets[i] === null ? null : new Budget(cfg.budgets[i]!));
  let holders = Array.from({ length: HOLDERS }, (_, i) => holderAt(i));
  // every waiter and the errnos its done got (exactly one, ever)
  const answers = new Map<number, number[]>();
  const waiters: { w: Waiter; id: number; h: number }[] = [];
  let nextId = 0;
  const doneFor = (id: number) => (errno: number): void => void answers.get(id)!.push(errno);

  for (const st of steps) {
    switch (st.kind) {
      case 'semop': {
        const ops = st.ops.map((o) => ({ ...o, num: o.num % nsems, undo: o.undo && st.h >= 0 }));
        const holder = ops.some((o) => o.undo) ? holders[st.h]! : null;
        const id = nextId++;
        answers.set(id, []);
        try {
          const w = set.semop(ops, 7, holder, doneFor(id), { id });
          if (w !== 'done') waiters.push({ w, id, h: st.h });
        } catch (e) {
          if (!(e instanceof ErrnoError)) throw e;
        }
        break;
      }
      case 'setval':
        try {
          set.setval(st.num % nsems, Math.min(st.value, cfg.max), 8);
        } catch (e) {
          if (!(e instanceof ErrnoError)) throw e;
        }
        break;
      case 'setall':
        set.setall(st.values.slice(0, nsems).map((v) => Math.min(v, cfg.max)), 8);
        break;
      case 'cancel': {
        const queued = waiters.filter((x) => x.w.queued);
        if (queued.length) set.cancel(queued[st.i % queued.length]!.w, st.errno);
        break;
      }
      case 'release': {
        // the handle is gone: its waiters were interrupted first (the kernel interrupts a dying process)
        for (const x of waiters) if (x.h === st.h && x.w.queued) set.cancel(x.w, Errno.EINTR);
        holders[st.h]!.release();
        holders = holders.map((o, i) => (i === st.h ? holderAt(i) : o));
        break;
      }
      case 'post': {
        const w = set.postHandoff();
        const id = nextId++;
        answers.set(id, []);
        if (!w) {
          // conservative: nothing to check, but the post must still behave (it may fail: ERANGE)
          try {
            set.semop([{ num: 0, op: 1 }], 9, null, doneFor(id));
          } catch (e) {
            if (!(e instanceof ErrnoError)) throw e;
          }
          break;
        }
        handoffs++;
        const wid = (w.tag as { id: number }).id;
        const before = answers.get(wid)!.length;
        if (before !== 0 || !w.queued) throw new Error(`handoff named waiter ${wid}, already answered or not queued`);
        // must not throw, must complete at once, and must complete exactly w with success
        const r = set.semop([{ num: 0, op: 1 }], 9, null, doneFor(id));
        if (r !== 'done') throw new Error('the post blocked');
        const got = answers.get(wid)!;
        if (got.length !== 1 || got[0] !== 0) throw new Error(`waiter ${wid} got ${JSON.stringify(got)}, not [0]`);
        if (w.queued) throw new Error(`waiter ${wid} still queued`);
        checkedPosts++;
        break;
      }
    }
    for (const [id, got] of answers) if (got.length > 1) throw new Error(`waiter ${id} answered ${got.length} times`);
  }
}

test('property: a waiter postHandoff names is completed with success by the next post, and by nothing else first', (t) => {
  handoffs = 0;
  checkedPosts = 0;
  fc.assert(
    fc.property(setArb, fc.array(stepArb, { maxLength: 60 }), (cfg, steps) => runHistory(cfg, steps)),
    { numRuns: 1500 },
  );
  t.log(`handoffs checked: ${checkedPosts}`);
  // the property is only worth something if the handoff is actually taken
  t.true(handoffs > 50, `postHandoff returned a waiter only ${handoffs} times`);
  t.is(checkedPosts, handoffs);
});

test('postHandoff: the plain case names the oldest single wait; a complex waiter, a non-zero value or an undo over SEMAEM name none', (t) => {
  const opts = { nsems: 2, max: 10, overflowErrno: Errno.ERANGE, maxAdj: 1, maxOps: 4, now: () => 1 };
  const s = new SemSet(opts);
  const w1 = s.semop([{ num: 0, op: -1 }], 1, null, () => {}) as Waiter;
  s.semop([{ num: 0, op: -1 }], 2, null, () => {});
  t.is(s.postHandoff(), w1);
  const c = s.semop([{ num: 0, op: -1 }, { num: 1, op: 1 }], 3, null, () => {}) as Waiter;
  t.is(s.postHandoff(), null, 'a complex waiter may take the unit first');
  s.cancel(c, Errno.EINTR);
  t.is(s.postHandoff(), w1);
  s.setval(1, 1, 4); // semaphore 1 does not matter
  t.is(s.postHandoff(), w1);

  const u = new SemSet(opts);
  const h = new UndoHolder(5, 'p');
  u.semop([{ num: 0, op: 1, undo: true }], 5, h, () => {}); // adj -1
  u.semop([{ num: 0, op: -1, undo: true }], 5, h, () => {}); // adj 0 again, value 0
  const hw = u.semop([{ num: 0, op: -1, undo: true }], 5, h, () => {}) as Waiter;
  t.is(u.postHandoff(), hw, 'adj 0 -> 1 is within SEMAEM 1');
  u.cancel(hw, Errno.EINTR);
  u.setval(0, 1, 6);
  u.semop([{ num: 0, op: -1, undo: true }], 5, h, () => {}); // adj 1, value 0
  u.semop([{ num: 0, op: -1, undo: true }], 5, h, () => {});
  t.is(u.postHandoff(), null, 'adj 1 -> 2 passes SEMAEM 1: the post would fail that waiter with ERANGE');
});

test('postHandoff with an undo budget: named only when the post needs no new entry (one it has, or one it clears)', (t) => {
  const opts = { nsems: 1, max: 10, overflowErrno: Errno.ERANGE, maxAdj: 100, maxOps: 4, now: () => 1 };
  const s = new SemSet(opts);
  const h = new UndoHolder(5, 'p', new Budget(10));
  const w = s.semop([{ num: 0, op: -1, undo: true }], 5, h, () => {}) as Waiter;
  t.is(s.postHandoff(), null, 'adj 0 -> 1 makes an entry the budget may refuse');
  s.cancel(w, Errno.EINTR);
  s.setval(0, 1, 6);
  s.semop([{ num: 0, op: -1, undo: true }], 5, h, () => {}); // takes the unit: adj 1
  const again = s.semop([{ num: 0, op: -1, undo: true }], 5, h, () => {}) as Waiter;
  t.is(s.postHandoff(), again, 'adj 1 -> 2: the entry exists, nothing to refuse');
  s.cancel(again, Errno.EINTR);
  const other = new UndoHolder(6, 'q', new Budget(10));
  s.semop([{ num: 0, op: 1, undo: true }], 6, other, () => {}); // value 1, other's adj -1
  s.semop([{ num: 0, op: -1 }], 6, null, () => {}); // value 0
  const clears = s.semop([{ num: 0, op: -1, undo: true }], 6, other, () => {}) as Waiter;
  t.is(s.postHandoff(), clears, 'adj -1 -> 0 clears the entry: nothing to refuse');
});
