/** ipc/quota.ts and ipc/limits.ts: per-uid and global accounting as a pure state machine. */
import test from 'ava';
import fc from 'fast-check';
import { Errno, ErrnoError } from '../../ipc/errno.js';
import { DEFAULT_LIMITS, parseLimits, quotaFor, type Resource } from '../../ipc/limits.js';
import { Charge, Quota } from '../../ipc/quota.js';

const small = () =>
  quotaFor(parseLimits('objects=5,semmni=3,semmns=20,handles=6,dir-streams=4,uid-objects=2,uid-semaphores=8,uid-handles=3,uid-dir-streams=2'));

function errnoOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof ErrnoError) return err.errno;
    throw err;
  }
  return 0;
}

test('past a uid\'s limit: ENOSPC for objects and semaphores, EMFILE for handles and directory streams; root is exempt', (t) => {
  const q = small();
  q.charge(1000, { objects: 1, semaphores: 4 });
  q.charge(1000, { objects: 1, semaphores: 4 });
  t.is(errnoOf(() => q.charge(1000, { objects: 1, semaphores: 1 })), Errno.ENOSPC);
  t.is(errnoOf(() => q.charge(1001, { objects: 1, semaphores: 9 })), Errno.ENOSPC, 'uid-semaphores');
  for (let i = 0; i < 3; i++) q.charge(1000, { handles: 1 });
  t.is(errnoOf(() => q.charge(1000, { handles: 1 })), Errno.EMFILE);
  q.charge(1000, { dirStreams: 1 });
  q.charge(1000, { dirStreams: 1 });
  t.is(errnoOf(() => q.charge(1000, { dirStreams: 1 })), Errno.EMFILE);
  t.is(errnoOf(() => q.charge(0, { objects: 1, semaphores: 12 })), 0, 'root passes per-uid limits');
  t.is(q.usedBy(1001, 'objects'), 0, 'a refusal left nothing behind');
});

test('past a global limit: ENOSPC for objects, SEMMNI and SEMMNS, ENFILE for handles and directory streams, root included', (t) => {
  const q = small();
  q.charge(0, { objects: 1, semSets: 3, semaphores: 18 });
  t.is(errnoOf(() => q.charge(0, { semSets: 1 })), Errno.ENOSPC);
  t.is(errnoOf(() => q.charge(0, { semaphores: 3 })), Errno.ENOSPC);
  q.charge(0, { objects: 4 });
  t.is(errnoOf(() => q.charge(0, { objects: 1 })), Errno.ENOSPC);
  q.charge(0, { handles: 6 });
  t.is(errnoOf(() => q.charge(7, { handles: 1 })), Errno.ENFILE);
  q.charge(0, { dirStreams: 4 });
  t.is(errnoOf(() => q.charge(7, { dirStreams: 1 })), Errno.ENFILE);
});

test('a charge is all or nothing and is given back once', (t) => {
  const q = small();
  q.charge(5, { objects: 1 });
  t.is(errnoOf(() => q.charge(5, { semaphores: 1, objects: 2 })), Errno.ENOSPC);
  t.is(q.usedBy(5, 'semaphores'), 0, 'the semaphore part was not taken');
  const c = q.charge(5, { semaphores: 3 });
  c.release();
  c.release();
  t.is(q.usedBy(5, 'semaphores'), 0);
  t.is(q.used('semaphores'), 0);
});

test('parseLimits: names, defaults, bad parts', (t) => {
  const l = parseLimits('semmni=8,uid-handles=64');
  t.is(l.semmni, 8);
  t.is(l.uidHandles, 64);
  t.is(l.semmns, DEFAULT_LIMITS.semmns);
  t.is(DEFAULT_LIMITS.semmsl, 32000);
  t.is(DEFAULT_LIMITS.semmns, 1024000000);
  t.is(DEFAULT_LIMITS.semopm, 500);
  t.is(DEFAULT_LIMITS.semmni, 32000);
  for (const bad of ['nope=1', 'semmni=0', 'semmni=', 'semmni', 'semvmx=40000', 'semmni=32769', 'uid-handles=-1', 'handles=1.5']) t.throws(() => parseLimits(bad), undefined, bad);
});

const RESOURCES: Resource[] = ['objects', 'semSets', 'semaphores', 'handles', 'dirStreams'];

test('property: usage always equals the live charges, never passes a limit, refusals change nothing, all back to zero', (t) => {
  const step = fc.oneof(
    fc.record({
      kind: fc.constant('charge' as const),
      uid: fc.constantFrom(0, 1000, 1001, 65534),
      amounts: fc.dictionary(fc.constantFrom(...RESOURCES), fc.nat(5)),
    }),
    fc.record({ kind: fc.constant('release' as const), which: fc.nat(), twice: fc.boolean() }),
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
      const q = small();
      const live: Charge<Resource>[] = [];
      const snapshot = () => JSON.stringify(RESOURCES.map((r) => [q.used(r), ...[0, 1000, 1001, 65534].map((u) => q.usedBy(u, r))]));
      for (const s of steps) {
        if (s.kind === 'charge') {
          const before = snapshot();
          try {
            live.push(q.charge(s.uid, s.amounts as Partial<Record<Resource, number>>));
          } catch (err) {
            if (!(err instanceof ErrnoError)) throw err;
            if (![Errno.ENOSPC, Errno.EMFILE, Errno.ENFILE].includes(err.errno)) return false;
            if (snapshot() !== before) return false;
          }
        } else if (live.length) {
          const c = live.splice(s.which % live.length, 1)[0]!;
          c.release();
          if (s.twice) c.release();
        }
        for (const r of RESOURCES) {
          const sum = live.reduce((a, c) => a + (c.amounts[r] ?? 0), 0);
          if (q.used(r) !== sum || sum > q.limits[r].global) return false;
          for (const u of [1000, 1001, 65534]) {
            const mine = live.filter((c) => c.uid === u).reduce((a, c) => a + (c.amounts[r] ?? 0), 0);
            if (q.usedBy(u, r) !== mine || mine > q.limits[r].perUid) return false;
          }
        }
      }
      for (const c of live) c.release();
      return RESOURCES.every((r) => q.used(r) === 0) && q.uids === 0;
    }),
  );
  t.pass();
});

test('a Quota of its own kinds: message queues and shared memory plug in as more resources', (t) => {
  const q = new Quota<'msgQueues'>({ msgQueues: { global: 1, perUid: 1, globalErrno: Errno.ENOSPC, uidErrno: Errno.ENOSPC, label: 'MSGMNI' } });
  q.charge(0, { msgQueues: 1 });
  t.is(errnoOf(() => q.charge(0, { msgQueues: 1 })), Errno.ENOSPC);
});

test('undo entries: a semop needing more than the budget is ENOMEM and changes nothing; SETVAL, removal and release give entries back once', async (t) => {
  const { SysvRegistry, IPC_PRIVATE } = await import('../../ipc/semaphores/registry.js');
  const { UndoHolder } = await import('../../ipc/semaphores/undo.js');
  const { undoBudget } = await import('../../ipc/limits.js');
  const q = quotaFor(parseLimits('uid-undo=3,undo=5'));
  const r = new SysvRegistry(DEFAULT_LIMITS, Date.now, q);
  const sem = r.semget(IPC_PRIVATE, 5, 0o600, { uid: 0, gid: 0, pid: 1 });
  const h = new UndoHolder(1, 'x', undoBudget(q, 1000));
  const op = (...nums: number[]) => sem.set.semop(nums.map((num) => ({ num, op: 1, undo: true })), 1, h, () => {});
  op(0, 1, 2);
  t.is(q.usedBy(1000, 'undo'), 3);
  t.is(errnoOf(() => op(3)), Errno.ENOMEM);
  t.deepEqual(sem.set.values, [1, 1, 1, 0, 0], 'nothing changed');
  op(0);
  t.is(q.usedBy(1000, 'undo'), 3, 'an existing entry costs nothing');
  sem.set.setval(1, 0, 1);
  t.is(q.usedBy(1000, 'undo'), 2, 'SETVAL forgets the adjustment');
  const other = new UndoHolder(2, 'y', undoBudget(q, 1001));
  sem.set.semop([{ num: 4, op: 1, undo: true }, { num: 3, op: 1, undo: true }, { num: 1, op: 1, undo: true }], 2, other, () => {});
  t.is(errnoOf(() => sem.set.semop([{ num: 0, op: 1, undo: true }], 2, other, () => {})), Errno.ENOMEM, 'the global limit (5)');
  r.remove(sem);
  t.is(q.used('undo'), 0, 'removal forgets every adjustment on the set');
  h.release();
  other.release();
  t.is(q.used('undo'), 0, 'and release does not give back twice');
});

test('a bad amount or an unknown resource is EINVAL, names it, and takes nothing', (t) => {
  const q = small();
  const refused = (fn: () => unknown): [number, string] => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ErrnoError) return [err.errno, err.message];
      throw err;
    }
    return [0, ''];
  };
  t.deepEqual(refused(() => q.charge(1000, { objects: 1, semaphores: -1 })), [Errno.EINVAL, 'bad amount -1 of semaphores']);
  t.deepEqual(refused(() => q.charge(1000, { objects: 1, handles: 1.5 })), [Errno.EINVAL, 'bad amount 1.5 of handles']);
  t.deepEqual(refused(() => q.charge(1000, { objects: 1, handles: NaN })), [Errno.EINVAL, 'bad amount NaN of handles']);
  t.deepEqual(refused(() => q.charge(1000, { objects: 1, bogus: 1 } as Record<string, number>)), [Errno.EINVAL, 'unknown resource bogus']);
  t.is(q.used('objects'), 0);
  t.is(q.uids, 0);
  t.deepEqual(refused(() => q.charge(1000, { objects: 3 })), [Errno.ENOSPC, 'request: objects limit per user (2) reached for uid 1000'], 'the default request name');
  t.deepEqual(refused(() => q.charge(0, { objects: 6 }, 'mkdir')), [Errno.ENOSPC, 'mkdir: objects limit (5) reached for everyone']);
});

test('a charge: its uid and amounts (a copy), live until released; zero amounts and undefined ones cost nothing', (t) => {
  const q = small();
  const amounts = { objects: 1, handles: 0 };
  const c = q.charge(1000, amounts);
  amounts.objects = 2;
  t.is(c.uid, 1000);
  t.deepEqual(c.amounts, { objects: 1, handles: 0 });
  t.true(c.live);
  t.is(q.usedBy(1000, 'handles'), 0);
  t.is(q.usedBy(1000, 'objects'), 1);
  t.is(q.usedBy(1001, 'objects'), 0);
  c.release();
  t.false(c.live);
  t.is(q.uids, 0);
  const z = q.charge(1001, { objects: 0, semaphores: undefined });
  t.is(q.uids, 0, 'a uid charged nothing is not kept');
  t.is(q.used('objects'), 0);
  z.release();
  t.is(q.uids, 0);
  // root's own usage is counted (for the global limits and limits/ipcfs) though no per-uid limit applies
  q.charge(0, { semaphores: 9 });
  t.is(q.usedBy(0, 'semaphores'), 9);
  t.is(q.uids, 1);
  q.credit(0, { semaphores: 4 });
  t.is(q.usedBy(0, 'semaphores'), 5);
  t.is(q.used('semaphores'), 5);
});
