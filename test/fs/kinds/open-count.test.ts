/** OpenCount (fs/kinds/open-count.ts): the last holder's release, and only it, calls last, once. */
import test from 'ava';
import { OpenCount } from '../../../fs/kinds/open-count.js';

test('last runs when the count falls to zero, not before, and once', (t) => {
  let calls = 0;
  const c = new OpenCount(() => calls++);
  const a = c.retain();
  const b = c.retain();
  a.release();
  t.is(calls, 0);
  t.is(c.open, 1);
  b.release();
  t.is(calls, 1);
  t.is(c.open, 0);
});

test('a reference released twice counts once: it cannot remove the object under another holder', (t) => {
  let calls = 0;
  const c = new OpenCount(() => calls++);
  const a = c.retain();
  const b = c.retain();
  a.release();
  a.release();
  t.is(calls, 0);
  t.is(c.open, 1);
  b.release();
  t.is(calls, 1);
});
