/**
 * ipc/jobserver/pool.ts by plain calls: the rules by example (bytes, FIFO waiters, non-blocking,
 * gives by the taker, through another open file, by an ancestor, refused ones, deaths with and
 * without orphans, releases), and a fast-check property against a reference model of counts that
 * checks after every step that no token is ever made or lost: free + held + adopted = size.
 */
import test from 'ava';
import fc from 'fast-check';
import { Errno } from '../../../ipc/errno.js';
import { TakeWaiter, TokenPool } from '../../../ipc/jobserver/pool.js';

const noAncestors = (): number[] => [];
const A = {};
const B = {};

function takeNow(p: TokenPool, h: object, pid: number, max = 1): Buffer {
  const r = p.take(h, pid, max, true, () => {});
  if (!Buffer.isBuffer(r)) throw new Error(`take: ${String(r)}`);
  return r;
}

test('a pool starts with size "+" bytes; a take hands out the oldest free bytes, at most what was asked, at least one', (t) => {
  const p = new TokenPool(3);
  t.is(p.freeTokens, 3);
  t.deepEqual(takeNow(p, A, 10, 2), Buffer.from('++'));
  t.is(p.tokensOf(10), 2);
  t.deepEqual(takeNow(p, A, 11, 0), Buffer.from('+'), 'a zero-byte ask still takes one');
  t.is(p.freeTokens, 0);
  t.is(p.taken, 3);
});

test('given-back bytes are handed out again in the order they came back (the crate writes back the byte it read)', (t) => {
  const p = new TokenPool(2);
  takeNow(p, A, 1, 2);
  p.give(A, 1, Buffer.from('x'), noAncestors);
  p.give(A, 1, Buffer.from('y'), noAncestors);
  t.deepEqual(takeNow(p, A, 2, 2), Buffer.from('xy'));
});

test('no free token: EAGAIN when non-blocking (nothing changes); else a waiter, served one token each in arrival order', (t) => {
  const p = new TokenPool(1);
  takeNow(p, A, 1);
  t.is(p.take(A, 2, 1, true, () => {}), Errno.EAGAIN);
  t.deepEqual(p.status().waiters, []);
  const got: [number, number, string | null][] = [];
  const w2 = p.take(A, 2, 8, false, (e, b) => got.push([2, e, b && b.toString()]));
  const w3 = p.take(B, 3, 1, false, (e, b) => got.push([3, e, b && b.toString()]));
  t.true(w2 instanceof TakeWaiter && w3 instanceof TakeWaiter);
  t.deepEqual(p.status().waiters, [2, 3]);
  p.give(A, 1, Buffer.from('+'), noAncestors);
  t.deepEqual(got, [[2, 0, '+']], 'one token, to the first waiter, though it asked for 8');
  t.is(p.tokensOf(2), 1);
  t.deepEqual(p.status().waiters, [3]);
});

test('a cancelled wait ends with its errno and takes nothing, also when a token comes later', (t) => {
  const p = new TokenPool(1);
  takeNow(p, A, 1);
  const got: number[] = [];
  const w = p.take(A, 2, 1, false, (e) => got.push(e)) as TakeWaiter;
  p.cancel(w, Errno.EINTR);
  p.cancel(w, Errno.EINTR);
  t.deepEqual(got, [Errno.EINTR]);
  p.give(A, 1, Buffer.from('+'), noAncestors);
  t.is(p.freeTokens, 1);
  t.is(p.tokensOf(2), 0);
});

test('a give returns one of the giver\'s tokens through any open file of the pool (make 4.4 reads and writes through two)', (t) => {
  const p = new TokenPool(2);
  takeNow(p, A, 1, 2);
  t.deepEqual(p.give(B, 1, Buffer.from('+'), noAncestors), { returned: 1, refused: 0 });
  t.is(p.tokensOf(1), 1);
  t.deepEqual(p.pidsOf(A), [1]);
  t.is(p.release(A), 1, 'the other token was still A\'s');
});

test('a give by a process that holds nothing returns its nearest ancestor\'s token; with none, the byte is refused and the pool does not grow', (t) => {
  const p = new TokenPool(2);
  takeNow(p, A, 100);
  let asked = 0;
  t.deepEqual(p.give(A, 101, Buffer.from('+'), () => (asked++, [50, 100, 1])), { returned: 1, refused: 0 });
  t.is(p.tokensOf(100), 0);
  t.deepEqual(p.give(A, 101, Buffer.from('++'), () => (asked++, [100])), { returned: 0, refused: 2 });
  t.is(p.freeTokens, 2);
  t.is(p.refused, 2);
  t.is(asked, 2, 'ancestors are asked once per give');
  takeNow(p, A, 100);
  t.deepEqual(p.give(A, 100, Buffer.from('+'), () => t.fail() as never), { returned: 1, refused: 0 }, 'a holder\'s own give never asks for ancestors');
});

test('a dead holder\'s tokens come back at once (reclaimed) and serve a waiter', (t) => {
  const p = new TokenPool(2);
  takeNow(p, A, 1);
  takeNow(p, B, 1);
  const got: number[] = [];
  p.take(A, 2, 1, false, (e) => got.push(e));
  t.is(p.processDied(1), 2);
  t.deepEqual(got, [0]);
  t.is(p.tokensOf(2), 1);
  t.is(p.freeTokens, 1);
  t.is(p.reclaimed, 2);
  t.deepEqual(p.pidsOf(A), [2]);
  t.deepEqual(p.pidsOf(B), []);
});

test('orphans of a dead holder keep one of its tokens each; one without a token is served before any reader; each frees its token when it ends', (t) => {
  const p = new TokenPool(3);
  takeNow(p, A, 1); // the dead sub-make's one token; its implicit slot is the parent's (pid 9)
  takeNow(p, A, 9);
  const got: number[] = [];
  p.take(A, 5, 1, false, (e) => got.push(e)); // a reader waits? no: one token is still free
  t.deepEqual(got, []);
  t.is(p.freeTokens, 0);
  p.take(A, 6, 1, false, (e) => got.push(e));
  t.is(p.processDied(1, [20, 21]), 1);
  t.deepEqual(p.status().orphans, [{ pid: 20, of: 1, tokens: 1 }, { pid: 21, of: 1, tokens: 0 }]);
  p.give(A, 9, Buffer.from('+'), noAncestors); // the parent gives back the slot the sub-make ran in
  t.deepEqual(p.status().orphans.map((o) => o.tokens), [1, 1], 'the slot goes to the second orphan');
  t.deepEqual(got, [], 'not to the waiting reader');
  p.orphanEnded(20);
  t.deepEqual(got, [0], 'an ended orphan\'s token serves the reader');
  p.orphanEnded(21);
  p.orphanEnded(21);
  t.is(p.freeTokens, 1);
  t.is(p.reclaimed, 1);
});

test('addOrphans (found when a holder gives back): the given token goes to them first; an orphan that never got one just leaves', (t) => {
  const p = new TokenPool(1);
  takeNow(p, A, 9);
  p.addOrphans(9, [30, 31]);
  p.give(A, 9, Buffer.from('+'), noAncestors);
  t.deepEqual(p.status().orphans, [{ pid: 30, of: 9, tokens: 1 }, { pid: 31, of: 9, tokens: 0 }]);
  p.orphanEnded(31);
  t.is(p.freeTokens, 0);
  p.orphanEnded(30);
  t.is(p.freeTokens, 1);
});

test('releasing an open file returns the tokens taken through it, by every process; other files keep theirs', (t) => {
  const p = new TokenPool(4);
  takeNow(p, A, 1, 2);
  takeNow(p, A, 2);
  takeNow(p, B, 1);
  t.is(p.release(A), 3);
  t.is(p.tokensOf(1), 1);
  t.is(p.tokensOf(2), 0);
  t.is(p.release(A), 0);
  t.is(p.reclaimed, 3);
});

test('watchers run after every change', (t) => {
  const p = new TokenPool(1);
  let n = 0;
  p.watchers.add(() => n++);
  takeNow(p, A, 1);
  p.give(A, 1, Buffer.from('+'), noAncestors);
  p.processDied(7);
  t.is(n, 3);
});

/** One step of the property. */
type Op =
  | { k: 'take'; h: 0 | 1; pid: number; max: number; block: boolean }
  | { k: 'give'; h: 0 | 1; pid: number; n: number }
  | { k: 'die'; pid: number; orphans: number[] }
  | { k: 'orphanEnd'; pid: number }
  | { k: 'release'; h: 0 | 1 }
  | { k: 'cancel'; i: number };

const pidArb = fc.integer({ min: 1, max: 6 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('take' as const), h: fc.constantFrom(0 as const, 1 as const), pid: pidArb, max: fc.integer({ min: 0, max: 3 }), block: fc.boolean() }),
  fc.record({ k: fc.constant('give' as const), h: fc.constantFrom(0 as const, 1 as const), pid: pidArb, n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ k: fc.constant('die' as const), pid: pidArb, orphans: fc.array(fc.integer({ min: 20, max: 24 }), { maxLength: 3 }) }),
  fc.record({ k: fc.constant('orphanEnd' as const), pid: fc.integer({ min: 20, max: 24 }) }),
  fc.record({ k: fc.constant('release' as const), h: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ k: fc.constant('cancel' as const), i: fc.nat() }),
);

test('property: no token is made or lost, and counts follow a reference model of who holds what', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4 }), fc.array(opArb, { size: 'max', maxLength: 60 }), (size, ops) => {
      const p = new TokenPool(size);
      const handles = [{}, {}];
      // the model: tokens per "h:pid", orphans pid -> has token, waiters in order
      const held = new Map<string, number>();
      let free = size;
      const orphans = new Map<number, boolean>();
      let waiters: { h: number; pid: number; w: TakeWaiter }[] = [];
      let reclaimed = 0;
      let refused = 0;
      const tokensOf = (pid: number): number => [...held].filter(([k]) => k.endsWith(`:${pid}`)).reduce((n, [, v]) => n + v, 0);
      const add = (h: number, pid: number, n: number): void => void held.set(`${h}:${pid}`, (held.get(`${h}:${pid}`) ?? 0) + n);
      const serve = (): void => {
        for (const [o, has] of orphans) if (!has && free) (orphans.set(o, true), free--);
        while (free && waiters.length) {
          const w = waiters.shift()!;
          add(w.h, w.pid, 1);
          free--;
        }
      };
      for (const op of ops) {
        switch (op.k) {
          case 'take': {
            const r = p.take(handles[op.h]!, op.pid, op.max, !op.block, () => {});
            if (free) {
              const n = Math.min(Math.max(1, op.max), free);
              if (!Buffer.isBuffer(r) || r.length !== n) return false;
              add(op.h, op.pid, n);
              free -= n;
            } else if (!op.block) {
              if (r !== Errno.EAGAIN) return false;
            } else {
              if (!(r instanceof TakeWaiter)) return false;
              waiters.push({ h: op.h, pid: op.pid, w: r });
            }
            break;
          }
          case 'give': {
            const r = p.give(handles[op.h]!, op.pid, Buffer.alloc(op.n, 0x2b), () => []);
            let returned = 0;
            for (let i = 0; i < op.n && tokensOf(op.pid); i++) {
              const k = held.get(`${op.h}:${op.pid}`) ? `${op.h}:${op.pid}` : [...held].find(([key, v]) => key.endsWith(`:${op.pid}`) && v)![0];
              held.set(k, held.get(k)! - 1);
              free++;
              returned++;
            }
            refused += op.n - returned;
            serve();
            if (r.returned !== returned) return false;
            break;
          }
          case 'die': {
            let n = 0;
            for (const [k, v] of held) if (k.endsWith(`:${op.pid}`)) (n += v, held.set(k, 0));
            reclaimed += n;
            const n2 = p.processDied(op.pid, op.orphans);
            if (n2 !== n) return false;
            for (const o of op.orphans) {
              if (orphans.has(o) || o === op.pid) continue;
              orphans.set(o, n > 0);
              if (n > 0) n--;
            }
            free += n;
            if (orphans.has(op.pid)) {
              if (orphans.get(op.pid)) free++;
              orphans.delete(op.pid);
            }
            serve();
            break;
          }
          case 'orphanEnd':
            p.orphanEnded(op.pid);
            if (orphans.has(op.pid)) {
              if (orphans.get(op.pid)) free++;
              orphans.delete(op.pid);
              serve();
            }
            break;
          case 'release': {
            let n = 0;
            for (const [k, v] of held) if (k.startsWith(`${op.h}:`)) (n += v, held.set(k, 0));
            if (p.release(handles[op.h]!) !== n) return false;
            reclaimed += n;
            free += n;
            serve();
            break;
          }
          case 'cancel': {
            if (!waiters.length) break;
            const [w] = waiters.splice(op.i % waiters.length, 1);
            p.cancel(w!.w, Errno.EINTR);
            break;
          }
        }
        const s = p.status();
        const heldSum = s.holders.reduce((a, h) => a + h.tokens, 0);
        const adopted = s.orphans.reduce((a, o) => a + o.tokens, 0);
        if (s.free + heldSum + adopted !== size) return false;
        if (s.free !== free || s.reclaimed !== reclaimed || s.refused !== refused) return false;
        for (const h of s.holders) if (h.tokens !== tokensOf(h.pid) || h.tokens <= 0) return false;
        if (JSON.stringify(s.orphans.map((o) => [o.pid, o.tokens])) !== JSON.stringify([...orphans].map(([o, has]) => [o, has ? 1 : 0]))) return false;
        if (JSON.stringify(s.waiters) !== JSON.stringify(waiters.map((w) => w.pid))) return false;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('a pool\'s size is a non-negative integer (RangeError otherwise); a pool of 0 tokens is -j1 for make', (t) => {
  for (const bad of [-1, 1.5, NaN, 2 ** 53]) t.throws(() => new TokenPool(bad), { instanceOf: RangeError, message: `pool size ${bad}` });
  const p = new TokenPool(0);
  t.is(p.take(A, 1, 1, true, () => {}), Errno.EAGAIN);
});

test('a caller the daemon cannot name (pid 0: another pid namespace) takes and gives back like any other', (t) => {
  const p = new TokenPool(1);
  takeNow(p, A, 0);
  t.deepEqual(p.give(A, 0, Buffer.from('+'), () => t.fail() as never), { returned: 1, refused: 0 });
  t.is(p.returned, 1);
  t.is(p.freeTokens, 1);
});

test('counters: taken, returned, refused add up; holderPids and isOrphan name who holds what', (t) => {
  const p = new TokenPool(3);
  takeNow(p, A, 1, 2);
  takeNow(p, B, 2);
  t.deepEqual([...p.holderPids()].sort(), [1, 2]);
  p.give(A, 1, Buffer.from('+++'), noAncestors);
  t.deepEqual([p.taken, p.returned, p.refused], [3, 2, 1]);
  p.processDied(2, [2, 7]);
  t.true(p.isOrphan(7));
  t.false(p.isOrphan(2), 'a dead process is never its own orphan');
  t.deepEqual([...p.holderPids()], []);
});

test('an orphan found again keeps the token it has (addOrphans and processDied never reset it)', (t) => {
  const p = new TokenPool(2);
  takeNow(p, A, 1);
  p.processDied(1, [20]);
  t.deepEqual(p.status().orphans, [{ pid: 20, of: 1, tokens: 1 }]);
  p.addOrphans(9, [20]);
  takeNow(p, A, 3);
  p.processDied(3, [20]);
  t.deepEqual(p.status().orphans, [{ pid: 20, of: 1, tokens: 1 }]);
  t.is(p.freeTokens, 1, 'the second dead holder\'s token is free: its orphan had one already');
});

test('watchers run once per change, also when a dead holder was an orphan itself', (t) => {
  const p = new TokenPool(2);
  takeNow(p, A, 1);
  p.processDied(1, [20]);
  let n = 0;
  p.watchers.add(() => n++);
  p.processDied(20, [21]);
  t.is(n, 1);
  t.deepEqual(p.status().orphans, [{ pid: 21, of: 20, tokens: 1 }], 'the dead orphan\'s token goes on to its own running job');
  t.is(p.freeTokens, 1);
  p.orphanEnded(21);
  t.is(n, 2);
});

test('a cancel that arrives after the waiter was served (a late INTERRUPT) changes nothing: no second answer, no other waiter touched', (t) => {
  const p = new TokenPool(1);
  takeNow(p, A, 1);
  const got: [number, number][] = [];
  const w2 = p.take(A, 2, 1, false, (e) => got.push([2, e])) as TakeWaiter;
  p.take(A, 3, 1, false, (e) => got.push([3, e]));
  p.give(A, 1, Buffer.from('+'), noAncestors);
  p.cancel(w2, Errno.EINTR);
  t.deepEqual(got, [[2, 0]]);
  t.deepEqual(p.status().waiters, [3]);
  t.is(p.tokensOf(2), 1);
});

test('a give takes back the same byte from what the giver holds (else its oldest), so a dead holder returns exactly the bytes it still had', (t) => {
  const p = new TokenPool(2);
  takeNow(p, A, 1, 2); // holds '+' '+'
  p.give(A, 1, Buffer.from('x'), noAncestors); // not held: its oldest '+' goes; holds '+'
  t.deepEqual(takeNow(p, A, 1), Buffer.from('x')); // holds '+' 'x'
  p.give(A, 1, Buffer.from('x'), noAncestors); // the 'x' it holds goes; holds '+'
  t.deepEqual(takeNow(p, A, 1), Buffer.from('x')); // holds '+' 'x'
  p.give(A, 1, Buffer.from('y'), noAncestors); // not held: the oldest, '+', goes; holds 'x'
  p.processDied(1);
  t.deepEqual(takeNow(p, A, 2, 2), Buffer.from('yx'));
});

test('a waiter served counts as taken', (t) => {
  const p = new TokenPool(1);
  takeNow(p, A, 1);
  p.take(A, 2, 1, false, () => {});
  p.give(A, 1, Buffer.from('+'), noAncestors);
  t.deepEqual([p.taken, p.returned], [2, 1]);
});
