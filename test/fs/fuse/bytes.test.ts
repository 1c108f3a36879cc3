/** ByteReader and ByteWriter: little-endian, bounds-checked, every read naming what it wanted. */
import test from 'ava';
import { ByteReader, ByteWriter } from '../../../fs/fuse/bytes.js';
import { DecodeError, Errno } from '../../../fs/fuse/errno.js';
import { fixture } from '../../helpers/fixture.js';

const shortBy = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DecodeError && e.errno === Errno.EIO) return e.message;
    throw e;
  }
  return 'no error';
};

test('ByteReader: each width little-endian, in order, with remaining counting down', (t) => {
  const r = new ByteReader(fixture(`
    01 02                     // u16 = 0x0201
    03 04 05 06               // u32 = 0x06050403
    fe ff ff ff               // i32 = -2
    07 00 00 00 08 00 00 00   // u64 = 0x8_0000_0007
    09 0a 0b 0c 0d 0e 0f f0   // u64big = 0xf00f0e0d0c0b0a09
    ee ee                     // skipped
    61 62                     // bytes(2) = "ab"
    63 00                     // cstring = "c"
    64 65                     // rest = "de"
  `));
  t.is(r.remaining, 34);
  t.is(r.u16(), 0x0201);
  t.is(r.u32(), 0x06050403);
  t.is(r.i32(), -2);
  t.is(r.u64(), 0x8_0000_0007);
  t.is(r.u64big(), 0xf00f0e0d0c0b0a09n);
  r.skip(2);
  t.is(r.remaining, 6);
  t.is(r.bytes(2).toString(), 'ab');
  t.is(r.cstring(), 'c');
  t.is(r.rest().toString(), 'de');
  t.is(r.remaining, 0);
  t.is(r.rest().length, 0, 'rest of nothing is empty');
});

test('ByteReader: a read past the end names the field (or the width by default), its size, offset and what is left', (t) => {
  const r = (n: number) => {
    const x = new ByteReader(Buffer.alloc(n + 1));
    x.skip(1);
    return x;
  };
  t.is(shortBy(() => r(1).u16()), 'short request: u16 needs 2 bytes at offset 1, 1 left');
  t.is(shortBy(() => r(3).u32()), 'short request: u32 needs 4 bytes at offset 1, 3 left');
  t.is(shortBy(() => r(3).i32()), 'short request: i32 needs 4 bytes at offset 1, 3 left');
  t.is(shortBy(() => r(7).u64()), 'short request: u64 needs 8 bytes at offset 1, 7 left');
  t.is(shortBy(() => r(7).u64big()), 'short request: u64 needs 8 bytes at offset 1, 7 left');
  t.is(shortBy(() => r(1).skip(2)), 'short request: padding needs 2 bytes at offset 1, 1 left');
  t.is(shortBy(() => r(1).bytes(2)), 'short request: bytes needs 2 bytes at offset 1, 1 left');
  t.is(shortBy(() => r(1).u32('mask')), 'short request: mask needs 4 bytes at offset 1, 1 left');
  t.is(shortBy(() => new ByteReader(Buffer.from('ab')).cstring()), 'name is not NUL-terminated');
  t.is(shortBy(() => new ByteReader(Buffer.from('ab')).cstring('oldname')), 'oldname is not NUL-terminated');
  t.is(shortBy(() => new ByteReader(fixture(`00 00 00 00 00 00 20 00`)).u64()), 'u64 does not fit 53 bits');
  t.is(shortBy(() => new ByteReader(fixture(`00 00 00 00 00 00 20 00`)).u64('kh')), 'kh does not fit 53 bits');
  const exact = new ByteReader(Buffer.alloc(4, 0xff));
  t.is(exact.u32(), 0xffffffff, 'a read that ends exactly at the end');
});

test('ByteReader: a cstring is read from the current offset up to its NUL, which is consumed', (t) => {
  const r = new ByteReader(Buffer.from('xx\0ab\0cd\0'));
  r.skip(3);
  t.is(r.cstring(), 'ab');
  t.is(r.remaining, 3);
  t.is(r.cstring(), 'cd');
  t.is(new ByteReader(Buffer.from('\0x')).cstring(), '', 'an empty name at offset 0');
  t.is(r.remaining, 0);
});

test('ByteWriter: each width little-endian at the running offset; zero() skips; done() trims to what was written', (t) => {
  const w = new ByteWriter(40);
  w.u16(0x0201).u32(0x06050403).i32(-2).u64(0x8_0000_0007).u64(0xf00f0e0d0c0b0a09n).i64(-3).zero(2).bytes(Buffer.from('ab'));
  t.is(w.length, 38);
  t.deepEqual(w.done(), fixture(`
    01 02                     // u16
    03 04 05 06               // u32
    fe ff ff ff               // i32 = -2
    07 00 00 00 08 00 00 00   // u64 from a number
    09 0a 0b 0c 0d 0e 0f f0   // u64 from a bigint
    fd ff ff ff ff ff ff ff   // i64 = -3
    00 00                     // zero(2)
    61 62                     // "ab"
  `));
  const full = new ByteWriter(4).u32(0xffffffff);
  t.is(full.done(), full.buf, 'a full buffer is returned as is');
  t.deepEqual(new ByteWriter(8).u32(-1).done(), fixture(`ff ff ff ff // -1 as u32`));
  t.deepEqual(new ByteWriter(8).u64(2 ** 53 - 1).done(), fixture(`ff ff ff ff ff ff 1f 00 // 2^53 - 1`));
  t.deepEqual(new ByteWriter(8).i64(5n).done(), fixture(`05 00 00 00 00 00 00 00 // 5`));
});

test('ByteReader.cbytes: the bytes up to the NUL (an empty name at offset 0 too); without a NUL it names the field, "name" by default', (t) => {
  const r = new ByteReader(Buffer.from([0, 0xff, 0x61, 0]));
  t.deepEqual([...r.cbytes()], []);
  t.deepEqual([...r.cbytes('target')], [0xff, 0x61]);
  t.is(r.remaining, 0);
  t.throws(() => new ByteReader(Buffer.from([0x61])).cbytes(), { instanceOf: DecodeError, message: 'name is not NUL-terminated' });
  t.throws(() => new ByteReader(Buffer.from([0x61])).cbytes('target'), { instanceOf: DecodeError, message: 'target is not NUL-terminated' });
});
