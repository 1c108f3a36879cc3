import test from 'ava';
import fc from 'fast-check';
import { Errno, ErrnoError } from '../../../ipc/errno.js';
import { LINUX_SEM_LIMITS, SEM_VALUE_MAX } from '../../../ipc/semaphores/limits.js';
import { IPC_CREAT, IPC_EXCL, IPC_PRIVATE, SysvRegistry, newPosixSet } from '../../../ipc/semaphores/registry.js';
import { SemSet, type SemOp } from '../../../ipc/semaphores/sem-set.js';
import { UndoHolder } from '../../../ipc/semaphores/undo.js';
import { checkOwner, permitted } from '../../../ipc/semaphores/perms.js';
import { errnoOf, noop } from '../../helpers/errno.js';

const sysv = (nsems: number, initial: number[] = []): SemSet =>
  new SemSet({ nsems, max: 32767, overflowErrno: Errno.ERANGE, maxAdj: 32767, maxOps: 500 }, initial);

test('an operation array is all or nothing', (t) => {
  const s = sysv(2, [1, 0]);
  // the second op would block: nothing of the first is applied
  t.is(errnoOf(() => s.semop([{ num: 0, op: -1 }, { num: 1, op: -1, nowait: true }], 1, null, noop)), Errno.EAGAIN);
  t.deepEqual(s.values, [1, 0]);
  t.is(s.semop([{ num: 0, op: -1 }, { num: 1, op: 2 }], 1, null, noop), 'done');
  t.deepEqual(s.values, [0, 2]);
  t.deepEqual(s.pids, [1, 1]);
});

test('operations apply in order on the same semaphore', (t) => {
  const s = sysv(1, [0]);
  t.is(s.semop([{ num: 0, op: 2 }, { num: 0, op: -2 }, { num: 0, op: 0 }], 1, null, noop), 'done');
  t.deepEqual(s.values, [0]);
});

test('errnos: EFBIG, E2BIG, EINVAL, ERANGE, EIDRM', (t) => {
  const s = sysv(1, [32767]);
  t.is(errnoOf(() => s.semop([{ num: 1, op: 1 }], 1, null, noop)), Errno.EFBIG);
  t.is(errnoOf(() => s.semop(Array.from({ length: 501 }, () => ({ num: 0, op: 0 })), 1, null, noop)), Errno.E2BIG);
  t.is(errnoOf(() => s.semop([], 1, null, noop)), Errno.EINVAL);
  t.is(errnoOf(() => s.semop([{ num: 0, op: 1 }], 1, null, noop)), Errno.ERANGE);
  t.is(errnoOf(() => s.setval(0, 32768, 1)), Errno.ERANGE);
  s.remove();
  t.is(errnoOf(() => s.semop([{ num: 0, op: -1 }], 1, null, noop)), Errno.EIDRM);
});

test('POSIX: EOVERFLOW past SEM_VALUE_MAX', (t) => {
  const s = newPosixSet(SEM_VALUE_MAX);
  t.is(errnoOf(() => s.semop([{ num: 0, op: 1 }], 1, null, noop)), Errno.EOVERFLOW);
});

test('undo adjustments beyond SEMAEM are ERANGE', (t) => {
  const s = new SemSet({ nsems: 1, max: 32767, overflowErrno: Errno.ERANGE, maxAdj: 3, maxOps: 500 }, [10]);
  const h = new UndoHolder(1, 'x');
  for (let i = 0; i < 3; i++) s.semop([{ num: 0, op: -1, undo: true }], 1, h, noop);
  t.is(errnoOf(() => s.semop([{ num: 0, op: -1, undo: true }], 1, h, noop)), Errno.ERANGE);
  t.is(s.values[0], 7);
});

test('a waiter completes when the value allows, and counts in ncnt/zcnt while it waits', (t) => {
  const s = sysv(1, [0]);
  const results: string[] = [];
  s.semop([{ num: 0, op: -2 }], 10, null, (e) => results.push(`dec ${e}`));
  s.semop([{ num: 0, op: 0 }], 11, null, (e) => results.push(`zero ${e}`));
  t.is(s.ncnt(0), 1);
  t.is(s.zcnt(0), 0, 'the wait-for-zero completed at once: value is 0');
  t.deepEqual(results, []);
  s.semop([{ num: 0, op: 1 }], 12, null, noop);
  t.deepEqual(results, []);
  s.semop([{ num: 0, op: 1 }], 12, null, noop);
  t.deepEqual(results, ['dec 0']);
  t.is(s.values[0], 0);
  t.is(s.pids[0], 10, 'the last pid is the waiter that completed');
});

test('waiters are scanned in arrival order; one that cannot proceed does not block those behind it (Linux)', (t) => {
  const s = sysv(1, [0]);
  const order: number[] = [];
  s.semop([{ num: 0, op: -1 }], 1, null, () => order.push(1));
  s.semop([{ num: 0, op: -3 }], 2, null, () => order.push(2));
  s.semop([{ num: 0, op: -1 }], 3, null, () => order.push(3));
  s.semop([{ num: 0, op: 2 }], 9, null, noop);
  t.deepEqual(order, [1, 3]);
  s.semop([{ num: 0, op: 3 }], 9, null, noop);
  t.deepEqual(order, [1, 3, 2]);
});

test('cancel takes the waiter off the queue; it takes nothing', (t) => {
  const s = sysv(1, [0]);
  let got = -1;
  const w = s.semop([{ num: 0, op: -1 }], 1, null, (e) => (got = e));
  t.not(w, 'done');
  if (w !== 'done') s.cancel(w, Errno.EINTR);
  t.is(got, Errno.EINTR);
  s.semop([{ num: 0, op: 1 }], 2, null, noop);
  t.is(s.values[0], 1, 'the cancelled waiter did not take the post');
});

test('remove fails every waiter with EIDRM', (t) => {
  const s = sysv(1, [0]);
  const errs: number[] = [];
  s.semop([{ num: 0, op: -1 }], 1, null, (e) => errs.push(e));
  s.semop([{ num: 0, op: 0 }, { num: 0, op: -1 }], 2, null, (e) => errs.push(e));
  s.remove();
  t.deepEqual(errs, [Errno.EIDRM, Errno.EIDRM]);
});

test('release applies a holder\'s adjustments, clamped to [0, max]', (t) => {
  const s = sysv(2, [5, 0]);
  const h = new UndoHolder(7, 'make');
  s.semop([{ num: 0, op: -3, undo: true }, { num: 1, op: 2, undo: true }], 7, h, noop);
  t.deepEqual(h.entries(s), [[0, 3], [1, -2]]);
  s.setval(1, 1, 8); // SETVAL clears the adjustment of semaphore 1
  t.deepEqual(h.entries(s), [[0, 3]]);
  s.semop([{ num: 0, op: -2 }], 8, null, noop);
  h.release();
  t.deepEqual(s.values, [3, 1]);
  t.is(s.pids[0], 7);
  const h2 = new UndoHolder(9, 'x');
  s.semop([{ num: 1, op: 1, undo: true }], 9, h2, noop); // adj -1
  s.setall([0, 0], 1); // SETALL clears it
  s.semop([{ num: 0, op: 1, undo: true }], 9, h2, noop); // adj -1 on sem 0
  s.setval(0, 0, 1);
  const h3 = new UndoHolder(10, 'y');
  s.semop([{ num: 1, op: 5, undo: true }], 10, h3, noop);
  s.setall([0, 1], 1);
  h3.release();
  t.deepEqual(s.values, [0, 1], 'cleared by SETALL: nothing to apply');
  const h4 = new UndoHolder(11, 'z');
  s.semop([{ num: 1, op: 3, undo: true }], 11, h4, noop); // value 4, adj -3
  s.semop([{ num: 1, op: -4 }], 12, null, noop); // value 0
  h4.release();
  t.is(s.values[1], 0, 'clamped at 0, not -3');
});

test('release wakes waiters the returned units let through', (t) => {
  const s = newPosixSet(1);
  const h = new UndoHolder(1, 'job');
  s.semop([{ num: 0, op: -1, undo: true }], 1, h, noop);
  let woke = -1;
  s.semop([{ num: 0, op: -1 }], 2, null, (e) => (woke = e));
  h.release();
  t.is(woke, 0);
  t.is(s.values[0], 0);
});

test('semget: IPC_PRIVATE, IPC_CREAT, IPC_EXCL, ENOENT, EINVAL, ENOSPC', (t) => {
  const r = new SysvRegistry({ ...LINUX_SEM_LIMITS, semmni: 3 });
  const who = { uid: 1000, gid: 100, pid: 1 };
  const a = r.semget(0x162e, 2, IPC_CREAT | 0o600, who);
  t.is(r.semget(0x162e, 1, 0, who), a);
  t.is(errnoOf(() => r.semget(0x162e, 1, IPC_CREAT | IPC_EXCL | 0o600, who)), Errno.EEXIST);
  t.is(errnoOf(() => r.semget(0x162e, 3, 0, who)), Errno.EINVAL);
  t.is(errnoOf(() => r.semget(0x99, 1, 0, who)), Errno.ENOENT);
  t.is(errnoOf(() => r.semget(0x99, 0, IPC_CREAT, who)), Errno.EINVAL);
  t.is(errnoOf(() => r.semget(0x162e, 1, 0, { uid: 1001, gid: 101, pid: 2 })), undefined, 'no access bits asked');
  t.is(errnoOf(() => r.semget(0x162e, 1, 0o400, { uid: 1001, gid: 101, pid: 2 })), Errno.EACCES);
  const p1 = r.semget(IPC_PRIVATE, 1, 0o600, who);
  const p2 = r.semget(IPC_PRIVATE, 1, 0o600, who);
  t.not(p1.id, p2.id);
  t.is(errnoOf(() => r.semget(IPC_PRIVATE, 1, 0o600, who)), Errno.ENOSPC);
  r.remove(p1);
  t.is(r.get(p1.id), undefined);
  t.not(r.semget(IPC_PRIVATE, 1, 0o600, who).id, p1.id, 'a reused slot gets a new id');
});

test('permissions: owner and creator classes, group, others, root; IPC_SET owner rules', (t) => {
  const perm = { uid: 1000, gid: 100, cuid: 1001, cgid: 101, mode: 0o640 };
  t.true(permitted(perm, { uid: 1000, gid: 5 }, 6));
  t.true(permitted(perm, { uid: 1001, gid: 5 }, 6), 'the creator has the owner class');
  t.true(permitted(perm, { uid: 2, gid: 101 }, 4));
  t.false(permitted(perm, { uid: 2, gid: 101 }, 2));
  t.false(permitted(perm, { uid: 2, gid: 2 }, 4));
  t.true(permitted(perm, { uid: 0, gid: 0 }, 6));
  t.notThrows(() => checkOwner(perm, { uid: 1001, gid: 0 }, 'x'));
  const e = t.throws(() => checkOwner(perm, { uid: 2, gid: 100 }, 'x'), { instanceOf: ErrnoError });
  t.is(e?.errno, Errno.EPERM);
});

type Step = { kind: 'take' | 'give' | 'trytake' | 'release' | 'cancel' | 'post' | 'set'; h: number; n: number };
const steps = fc.array(
  fc.record({ kind: fc.constantFrom('take', 'give', 'trytake', 'release', 'cancel', 'post', 'set'), h: fc.integer({ min: 0, max: 4 }), n: fc.integer({ min: 0, max: 5 }) }),
  { maxLength: 80 },
) as fc.Arbitrary<Step[]>;

function run(initial: number, max: number, seq: Step[], onlyUndo: boolean, check: (s: SemSet, holders: UndoHolder[]) => void): void {
  const s = new SemSet({ nsems: 1, max, overflowErrno: Errno.ERANGE, maxAdj: max, maxOps: 500 }, [initial]);
  let holders = Array.from({ length: 5 }, (_, i) => new UndoHolder(i, 'p'));
  const waiters: { w: ReturnType<SemSet['semop']>; h: number }[] = [];
  for (const st of seq) {
    const h = holders[st.h]!;
    const op = (o: SemOp): void => {
      try {
        const w = s.semop([o], st.h, h, noop);
        if (w !== 'done') waiters.push({ w, h: st.h });
      } catch (e) {
        if (!(e instanceof ErrnoError)) throw e;
      }
    };
    if (st.kind === 'take') op({ num: 0, op: -Math.max(1, st.n), undo: true });
    if (st.kind === 'trytake') op({ num: 0, op: -1, undo: true, nowait: true });
    if (st.kind === 'give' && !onlyUndo) op({ num: 0, op: st.n, undo: true });
    if (st.kind === 'post' && !onlyUndo) op({ num: 0, op: st.n });
    if (st.kind === 'set' && !onlyUndo) s.setval(0, Math.min(max, st.n), 1);
    if (st.kind === 'cancel') {
      const i = waiters.findIndex((x) => x.w !== 'done' && x.w.queued);
      if (i >= 0) s.cancel(waiters[i]!.w as Exclude<ReturnType<SemSet['semop']>, 'done'>, Errno.EINTR);
    }
    if (st.kind === 'release') {
      // the handle is gone: its waiters are interrupted first (the kernel interrupts a dying process)
      for (const x of waiters) if (x.h === st.h && x.w !== 'done' && x.w.queued) s.cancel(x.w, Errno.EINTR);
      h.release();
      holders = holders.map((o, i) => (i === st.h ? new UndoHolder(i, 'p') : o));
    }
    check(s, holders);
  }
}

test('property: the value never leaves [0, max]', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10 }), steps, (initial, seq) => {
      run(initial, 10, seq, false, (s) => {
        if (s.values[0]! < 0 || s.values[0]! > 10) throw new Error(`value ${s.values[0]}`);
      });
    }),
  );
  t.pass();
});

test('property: with robust takes only, value + what holders hold is conserved, and releases give it all back', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10 }), steps, (initial, seq) => {
      run(initial, 1000, seq, true, (s, holders) => {
        const held = holders.reduce((sum, h) => sum + h.get(s, 0), 0);
        if (s.values[0]! + held !== initial) throw new Error(`value ${s.values[0]} + held ${held} != ${initial}`);
      });
    }),
  );
  t.pass();
});

test('property: no wake-up is lost (no queued waiter could proceed with the current value)', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10 }), steps, (initial, seq) => {
      const takes: number[] = [];
      run(initial, 10, seq, false, (s) => {
        // a queued decrement must want more than the value; a queued wait-for-zero needs a value > 0
        for (const w of s.waiters()) {
          const op = w.ops[0]!.op;
          if (op < 0 ? -op <= s.values[0]! : s.values[0] === 0) throw new Error(`lost wake-up of op ${op} at value ${s.values[0]}`);
        }
        takes.push(s.ncnt(0) + s.zcnt(0));
      });
    }),
  );
  t.pass();
});

// ---- Linux's order of wake-ups and checks (ipc/sem.c; the differential tests compare with the kernel) ----

/** Value 1; A `0:0 0:+1` and B `0:0` wait; change() brings the value to 0. Linux completes both. */
function zeroFirst(change: (s: SemSet) => void, initial = [1, 0]): { s: SemSet; order: string[] } {
  const s = sysv(2, initial);
  const order: string[] = [];
  s.semop([{ num: 0, op: 0 }, { num: 0, op: 1 }], 1, null, (e) => order.push(`A ${e}`));
  s.semop([{ num: 0, op: 0 }], 2, null, (e) => order.push(`B ${e}`));
  change(s);
  return { s, order };
}

for (const [what, change] of [
  ['SETVAL', (s: SemSet) => s.setval(0, 0, 9)],
  ['SETALL', (s: SemSet) => s.setall([0, 0], 9)],
  ['semop', (s: SemSet) => s.semop([{ num: 0, op: -1 }], 9, null, noop)],
] as [string, (s: SemSet) => void][]) {
  test(`after ${what} brings a value to 0, wait-for-zero waiters complete before the alter waiters (do_smart_update)`, (t) => {
    const { s, order } = zeroFirst(change);
    t.deepEqual(order, ['B 0', 'A 0'], 'B first (a simple wait-for-zero), then A (complex alter)');
    t.deepEqual(s.values, [1, 0]);
    t.is(s.pids[0], 1, 'A ran last');
    t.is(s.waiting, 0);
  });
}

test('after an undo released at exit brings a value to 0, wait-for-zero waiters complete first, and otime is stamped', (t) => {
  let now = 1000;
  const s = new SemSet({ nsems: 1, max: 32767, overflowErrno: Errno.ERANGE, maxAdj: 32767, maxOps: 500, now: () => now }, [0]);
  const h = new UndoHolder(7, 'x');
  s.semop([{ num: 0, op: 1, undo: true }], 7, h, noop);
  const order: string[] = [];
  s.semop([{ num: 0, op: 0 }, { num: 0, op: 1 }], 1, null, (e) => order.push(`A ${e}`));
  s.semop([{ num: 0, op: 0 }], 2, null, (e) => order.push(`B ${e}`));
  now = 2000;
  h.release();
  t.deepEqual(order, ['B 0', 'A 0']);
  t.deepEqual(s.values, [1]);
  t.is(s.otime, 2000);
});

test('a retried waiter that reaches an IPC_NOWAIT operation that would block fails with EAGAIN', (t) => {
  const s = sysv(2, [0, 0]);
  let got = -1;
  s.semop([{ num: 0, op: -1 }, { num: 1, op: -1, nowait: true }], 1, null, (e) => (got = e));
  t.is(s.ncnt(0), 1);
  s.semop([{ num: 0, op: 1 }], 2, null, noop);
  t.is(got, Errno.EAGAIN);
  t.deepEqual(s.values, [1, 0], 'it took nothing');
  t.is(s.waiting, 0);
});

test('exit-time undo (release) stamps otime even with nothing to add back, also after a SEM_UNDO semop that failed', (t) => {
  let now = 1000;
  const opts = { nsems: 2, max: 32767, overflowErrno: Errno.ERANGE, maxAdj: 32767, maxOps: 500, now: () => now };
  const s = new SemSet(opts, [0, 0]);
  const h = new UndoHolder(7, 'x');
  t.is(errnoOf(() => s.semop([{ num: 0, op: -1, undo: true, nowait: true }], 7, h, noop)), Errno.EAGAIN);
  t.is(errnoOf(() => s.semop([{ num: 5, op: -1, undo: true }], 7, h, noop)), Errno.EFBIG, 'EFBIG comes after the undo lookup, as in Linux');
  t.is(s.otime, 0);
  now = 2000;
  h.release();
  t.is(s.otime, 2000);
  t.deepEqual(s.pids, [0, 0], 'no adjustment: no pid');
  // a semop that fails before the set lookup (E2BIG) does not tie the holder
  const s2 = new SemSet(opts, [0, 0]);
  const h2 = new UndoHolder(8, 'y');
  t.is(errnoOf(() => s2.semop(Array.from({ length: 501 }, () => ({ num: 0, op: 0, undo: true })), 8, h2, noop)), Errno.E2BIG);
  h2.release();
  t.is(s2.otime, 0);
  // SETVAL and SETALL stamp otime only when they let a waiter complete
  now = 3000;
  s2.setval(0, 1, 1);
  t.is(s2.otime, 0);
  s2.semop([{ num: 1, op: -1 }], 2, null, noop);
  now = 4000;
  s2.setall([1, 1], 1);
  t.is(s2.otime, 4000);
});

test('SETVAL checks the value, then the set, then the semaphore number (semctl_setval)', (t) => {
  const s = sysv(1, [0]);
  t.is(errnoOf(() => s.setval(65535, 65536, 1)), Errno.ERANGE);
  t.is(errnoOf(() => s.setval(1, -1, 1)), Errno.ERANGE);
  t.is(errnoOf(() => s.setval(1, 1, 1)), Errno.EINVAL);
  s.remove();
  t.is(errnoOf(() => s.setval(0, 32768, 1)), Errno.ERANGE);
  t.is(errnoOf(() => s.setval(1, 1, 1)), Errno.EIDRM);
  t.is(errnoOf(() => s.setall([32768], 1)), Errno.EIDRM);
});

test('semop checks in do_semtimedop\'s order: EINVAL, E2BIG, then EIDRM, then EFBIG', (t) => {
  const s = sysv(1, [0]);
  s.remove();
  t.is(errnoOf(() => s.semop([], 1, null, noop)), Errno.EINVAL);
  t.is(errnoOf(() => s.semop(Array.from({ length: 501 }, () => ({ num: 5, op: 0 })), 1, null, noop)), Errno.E2BIG);
  t.is(errnoOf(() => s.semop([{ num: 5, op: 0 }], 1, null, noop)), Errno.EIDRM);
});

test('wait lists: complex waiters merge the per-semaphore lists; ncnt/zcnt count each waiter once, on its blocking operation', (t) => {
  const s = sysv(3, [0, 0, 1]);
  const done: string[] = [];
  const wait = (name: string, ops: SemOp[]): void => void s.semop(ops, 1, null, (e) => done.push(`${name} ${e}`));
  wait('a', [{ num: 0, op: -1 }]);
  wait('b', [{ num: 1, op: -1 }]);
  wait('z', [{ num: 2, op: 0 }]);
  wait('c', [{ num: 2, op: 0 }, { num: 0, op: -1 }]); // complex: blocks on 2 (zero)
  t.deepEqual([0, 1, 2].map((n) => [s.ncnt(n), s.zcnt(n)]), [[1, 0], [1, 0], [0, 2]]);
  s.setval(2, 0, 9); // z and c's first op go; c now blocks on 0
  t.deepEqual(done, ['z 0']);
  t.deepEqual([0, 1, 2].map((n) => [s.ncnt(n), s.zcnt(n)]), [[2, 0], [1, 0], [0, 0]]);
  t.is(s.waiters().length, 3);
  s.setall([2, 1, 0], 9); // a, b, c all go: a and b were merged into the set's list ahead of c
  t.deepEqual(done, ['z 0', 'b 0', 'a 0', 'c 0']);
  t.deepEqual(s.values, [0, 0, 0]);
  // back in simple mode: a new decrement waits on its semaphore's list
  wait('d', [{ num: 1, op: -1 }]);
  t.is(s.ncnt(1), 1);
  s.semop([{ num: 1, op: 1 }], 9, null, noop);
  t.deepEqual(done.at(-1), 'd 0');
});
