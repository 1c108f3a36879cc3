/**
 * The addon's adaptive busy-poll (native/ipcfs_native.c, next_spin_ns): after each wake-up it
 * spins at most --busy-poll-us before sleeping in epoll, and the spin adapts to how soon the
 * next request came after the daemon went to sleep, as KVM's halt polling does.
 */
import test from 'ava';
import fc from 'fast-check';
import { native } from '../../../fs/fuse/native.js';

const US = 1000;
const MAX = 50 * US;

test('a request that came soon after sleeping grows the spin: from none to 10 us, then doubling up to the most', (t) => {
  t.is(native.nextSpinNs(0, MAX, 3 * US), 10 * US);
  t.is(native.nextSpinNs(10 * US, MAX, 3 * US), 20 * US);
  t.is(native.nextSpinNs(20 * US, MAX, 3 * US), 40 * US);
  t.is(native.nextSpinNs(40 * US, MAX, 3 * US), MAX, 'capped at the most');
  t.is(native.nextSpinNs(MAX, MAX, 0), MAX);
});

test('a request later than any spin could wait halves the spin, and below 10 us stops it', (t) => {
  t.is(native.nextSpinNs(MAX, MAX, 5_000 * US), 25 * US);
  t.is(native.nextSpinNs(25 * US, MAX, MAX + 1), 12_500);
  t.is(native.nextSpinNs(12_500, MAX, MAX + 1), 0, '6.25 us is below the first step: no spin');
  t.is(native.nextSpinNs(0, MAX, 1_000_000 * US), 0);
});

test('a request a longer spin would have caught only if it could exceed the most changes nothing', (t) => {
  // spun 40 us, slept 20 us: 60 us would have been needed, more than 50 us; but 20 us <= 50 us
  t.is(native.nextSpinNs(40 * US, MAX, 20 * US), 40 * US);
});

test('busy-poll off (most 0) stays off; a clock that went backwards changes nothing', (t) => {
  t.is(native.nextSpinNs(0, 0, 3 * US), 0);
  t.is(native.nextSpinNs(20 * US, MAX, -5), 20 * US);
});

test('property: the spin stays within [0, most], never grows on a late request, never shrinks on an early one', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 10_000_000 }), (max, spin0, blocked) => {
      const spin = Math.min(spin0, max);
      const next = native.nextSpinNs(spin, max, blocked);
      if (next < 0 || next > max) return false;
      if (blocked > max && next > spin) return false;
      if (blocked + spin <= max && next < spin) return false;
      return true;
    }),
  );
  t.pass();
});

test('wrong arguments are a TypeError, not a crash', (t) => {
  t.throws(() => (native.nextSpinNs as (...a: unknown[]) => number)(1, 2), { instanceOf: TypeError });
  t.throws(() => (native.nextSpinNs as (...a: unknown[]) => number)('1', 2, 3), { instanceOf: TypeError });
});
