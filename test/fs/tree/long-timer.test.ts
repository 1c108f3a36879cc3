/** Timers past setTimeout's range are chains of shorter ones. */
import test from 'ava';
import { setLongTimeout } from '../../../fs/tree/long-timer.js';

test('a delay longer than one step fires once, after the whole delay', async (t) => {
  const t0 = performance.now();
  let fired = 0;
  await new Promise<void>((resolve) => setLongTimeout(60, () => (fired++, resolve()), 7));
  t.true(performance.now() - t0 >= 59);
  t.is(fired, 1);
});

test('cancel stops the chain', async (t) => {
  let fired = 0;
  const cancel = setLongTimeout(40, () => fired++, 5);
  await new Promise((r) => setTimeout(r, 12));
  cancel();
  await new Promise((r) => setTimeout(r, 60));
  t.is(fired, 0);
});

test('Infinity and delays past 2^31-1 ms do not fire at once', async (t) => {
  let fired = 0;
  const c1 = setLongTimeout(Infinity, () => fired++);
  const c2 = setLongTimeout(3_000_000_000, () => fired++);
  await new Promise((r) => setTimeout(r, 30));
  c1();
  c2();
  t.is(fired, 0);
});
