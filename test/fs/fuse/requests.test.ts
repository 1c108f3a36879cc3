import test from 'ava';
import { ByteReader } from '../../../fs/fuse/bytes.js';
import { DecodeError } from '../../../fs/fuse/errno.js';
import { decode, decodeInHeader, undecodable } from '../../../fs/fuse/requests.js';
import { fixture } from '../../helpers/fixture.js';

const lookupRequest = fixture(`
  // fuse_in_header
  2e 00 00 00                 // len = 46 (40 header + "named\\0")
  01 00 00 00                 // opcode = FUSE_LOOKUP (1)
  0a 00 00 00 00 00 00 00     // unique = 10
  01 00 00 00 00 00 00 00     // nodeid = 1 (FUSE_ROOT_ID)
  e8 03 00 00                 // uid = 1000
  64 00 00 00                 // gid = 100
  39 30 00 00                 // pid = 12345 (a thread id)
  00 00                       // total_extlen = 0
  00 00                       // padding
  // body: the name, NUL-terminated
  6e 61 6d 65 64 00           // "named"
`);

test('fuse_in_header: every field', (t) => {
  t.deepEqual(decodeInHeader(lookupRequest), {
    len: 46, opcode: 1, unique: 10, nodeid: 1, uid: 1000, gid: 100, pid: 12345, totalExtlen: 0,
  });
});

test('LOOKUP body: the NUL-terminated name', (t) => {
  t.deepEqual(decode.name(new ByteReader(lookupRequest.subarray(40))), { name: 'named' });
});

test('a header shorter than 40 bytes is a DecodeError (EIO), not a crash', (t) => {
  const e = t.throws(() => decodeInHeader(lookupRequest.subarray(0, 39)), { instanceOf: DecodeError });
  t.is(e?.errno, 5);
});

test('a header whose len disagrees with the bytes read is refused', (t) => {
  t.throws(() => decodeInHeader(lookupRequest.subarray(0, 45)), { instanceOf: DecodeError, message: /says 46/ });
});

test('a name without its NUL is refused', (t) => {
  t.throws(() => decode.name(new ByteReader(Buffer.from('named'))), { instanceOf: DecodeError, message: /NUL/ });
});

test('INIT from a 7.45 kernel (with flags2)', (t) => {
  const body = fixture(`
    07 00 00 00               // major = 7
    2d 00 00 00               // minor = 45
    00 00 02 00               // max_readahead = 131072
    20 00 24 40               // flags = BIG_WRITES | PARALLEL_DIROPS | ABORT_ERROR | INIT_EXT
    01 00 00 00               // flags2 = 1 (FUSE_SECURITY_CTX >> 32)
    ${'00 '.repeat(44)}       // unused[11]
  `);
  t.deepEqual(decode.init(new ByteReader(body)), { major: 7, minor: 45, maxReadahead: 131072, flags: 0x40240020, flags2: 1 });
});

test('INIT from an old kernel (16 bytes, no flags2)', (t) => {
  const body = fixture(`
    07 00 00 00               // major = 7
    1f 00 00 00               // minor = 31
    00 00 02 00               // max_readahead
    00 00 04 00               // flags = PARALLEL_DIROPS
  `);
  t.deepEqual(decode.init(new ByteReader(body)), { major: 7, minor: 31, maxReadahead: 131072, flags: 0x40000, flags2: 0 });
});

test('WRITE: fuse_write_in and its data', (t) => {
  const body = fixture(`
    05 00 00 00 00 00 00 00   // fh = 5
    00 10 00 00 00 00 00 00   // offset = 4096
    04 00 00 00               // size = 4
    02 00 00 00               // write_flags = FUSE_WRITE_LOCKOWNER
    ef cd ab 89 67 45 23 f1   // lock_owner (a full 64-bit hash)
    01 80 00 00               // flags = O_WRONLY | O_LARGEFILE
    00 00 00 00               // padding
    70 69 6e 67               // data = "ping"
  `);
  const w = decode.write(new ByteReader(body));
  t.is(w.fh, 5);
  t.is(w.offset, 4096);
  t.is(w.size, 4);
  t.is(w.writeFlags, 2);
  t.is(w.lockOwner, 0xf123456789abcdefn);
  t.is(w.flags, 0o100001);
  t.is(w.data.toString(), 'ping');
});

test('WRITE whose size disagrees with the data carried is refused', (t) => {
  const body = fixture(`
    05 00 00 00 00 00 00 00   // fh
    00 00 00 00 00 00 00 00   // offset
    09 00 00 00               // size = 9, but 4 bytes follow
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  // write_flags, lock_owner, flags
    00 00 00 00               // padding
    70 69 6e 67               // "ping"
  `);
  t.throws(() => decode.write(new ByteReader(body)), { instanceOf: DecodeError });
});

test('BATCH_FORGET: count then (nodeid, nlookup) pairs', (t) => {
  const body = fixture(`
    02 00 00 00               // count = 2
    00 00 00 00               // dummy
    07 00 00 00 00 00 00 00   // [0].nodeid = 7
    01 00 00 00 00 00 00 00   // [0].nlookup = 1
    09 00 00 00 00 00 00 00   // [1].nodeid = 9
    03 00 00 00 00 00 00 00   // [1].nlookup = 3
  `);
  t.deepEqual(decode.batchForget(new ByteReader(body)).items, [{ nodeid: 7, nlookup: 1 }, { nodeid: 9, nlookup: 3 }]);
});

test('BATCH_FORGET claiming more entries than it carries is refused', (t) => {
  const body = fixture(`
    ff ff 00 00               // count = 65535
    00 00 00 00               // dummy
    07 00 00 00 00 00 00 00   // one nodeid
    01 00 00 00 00 00 00 00   // one nlookup
  `);
  t.throws(() => decode.batchForget(new ByteReader(body)), { instanceOf: DecodeError });
});

test('CREATE: flags, mode, umask, open_flags, name', (t) => {
  const body = fixture(`
    c1 80 00 00               // flags = O_WRONLY|O_CREAT|O_EXCL|O_LARGEFILE (0o100301)
    a4 81 00 00               // mode = S_IFREG | 0644
    12 00 00 00               // umask = 022
    00 00 00 00               // open_flags
    73 65 6d 00               // "sem"
  `);
  t.deepEqual(decode.create(new ByteReader(body)), { flags: 0o100301, mode: 0o100644, umask: 0o22, openFlags: 0, name: 'sem' });
});

test('SETATTR: valid mask and the fields it names', (t) => {
  const body = fixture(`
    09 00 00 00               // valid = FATTR_MODE | FATTR_SIZE
    00 00 00 00               // padding
    00 00 00 00 00 00 00 00   // fh
    00 00 00 00 00 00 00 00   // size = 0 (truncate)
    00 00 00 00 00 00 00 00   // lock_owner
    00 00 00 00 00 00 00 00   // atime
    00 00 00 00 00 00 00 00   // mtime
    00 00 00 00 00 00 00 00   // ctime
    00 00 00 00               // atimensec
    00 00 00 00               // mtimensec
    00 00 00 00               // ctimensec
    e8 81 00 00               // mode = S_IFREG | 0750
    00 00 00 00               // unused4
    e8 03 00 00               // uid = 1000
    64 00 00 00               // gid = 100
    00 00 00 00               // unused5
  `);
  const s = decode.setattr(new ByteReader(body));
  t.is(s.valid, 9);
  t.is(s.size, 0);
  t.is(s.mode, 0o100750);
  t.is(s.uid, 1000);
  t.is(s.gid, 100);
});

test('INTERRUPT: the unique of the request to interrupt', (t) => {
  t.deepEqual(decode.interrupt(new ByteReader(fixture(`2a 00 00 00 00 00 00 00 // unique = 42`))), { unique: 42 });
});

test('POLL: fh, kh, flags, events', (t) => {
  const body = fixture(`
    03 00 00 00 00 00 00 00   // fh = 3
    11 00 00 00 00 00 00 00   // kh = 17
    01 00 00 00               // flags = FUSE_POLL_SCHEDULE_NOTIFY
    01 00 00 00               // events = POLLIN
  `);
  t.deepEqual(decode.poll(new ByteReader(body)), { fh: 3, kh: 17, flags: 1, events: 1 });
});

test('RENAME2: newdir, flags, both names', (t) => {
  const body = fixture(`
    01 00 00 00 00 00 00 00   // newdir = 1
    01 00 00 00               // flags = RENAME_NOREPLACE
    00 00 00 00               // padding
    61 00                     // "a"
    62 00                     // "b"
  `);
  t.deepEqual(decode.rename2(new ByteReader(body)), { newdir: 1, flags: 1, oldname: 'a', newname: 'b' });
});

test('a u64 that does not fit 53 bits is refused where a number is expected', (t) => {
  t.throws(() => new ByteReader(fixture(`ff ff ff ff ff ff ff ff // 2^64 - 1`)).u64('fh'), { instanceOf: DecodeError });
});

test('every decoder refuses an empty body without throwing anything but DecodeError', (t) => {
  for (const [name, fn] of Object.entries(decode)) {
    if (name === 'empty') continue;
    const err = t.throws(() => (fn as (r: ByteReader) => unknown)(new ByteReader(Buffer.alloc(0))), undefined, name);
    t.true(err instanceof DecodeError, `${name} threw ${String(err)}`);
  }
});

test('offsets: the whole u64 range decodes (past 2^53-1 they clamp to the largest safe number)', (t) => {
  const readBody = (offset: string): Buffer => fixture(`
    07 00 00 00 00 00 00 00   // fh = 7
    ${offset}                 // offset
    00 10 00 00               // size = 4096
    00 00 00 00               // read_flags
    00 00 00 00 00 00 00 00   // lock_owner
    02 80 00 00               // flags = O_RDWR | O_LARGEFILE
    00 00 00 00               // padding
  `);
  t.is(decode.read(new ByteReader(readBody('f6 ff ff ff ff ff ff 7f // 2^63 - 10'))).offset, Number.MAX_SAFE_INTEGER);
  t.is(decode.read(new ByteReader(readBody('ff ff ff ff ff ff ff ff // 2^64 - 1'))).offset, Number.MAX_SAFE_INTEGER);
  t.is(decode.read(new ByteReader(readBody('ff ff ff ff ff ff 1f 00 // 2^53 - 1'))).offset, 2 ** 53 - 1);
  t.is(decode.read(new ByteReader(readBody('05 04 03 02 01 00 00 00 // 0x0102030405'))).offset, 0x0102030405);
  const write = decode.write(new ByteReader(Buffer.concat([readBody('f6 ff ff ff ff ff ff 7f').subarray(0, 16), fixture('01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 78')])));
  t.is(write.offset, Number.MAX_SAFE_INTEGER);
  t.is(write.data.toString(), 'x');
});

test('names are bytes: valid UTF-8 decodes; anything else becomes a name that matches nothing', (t) => {
  const name = (hex: string): string => decode.name(new ByteReader(fixture(`${hex} 00`))).name;
  t.is(name('63 61 66 c3 a9'), 'café');
  t.is(name('ef bf bd'), '\uFFFD', 'a real U+FFFD is a name like any other');
  const ff = name('ff fe');
  const overlong = name('c0 80');
  t.true(undecodable(ff));
  t.true(undecodable(overlong));
  t.not(ff, overlong, 'two different byte strings stay different (no U+FFFD collision)');
  t.not(ff, '\uFFFD\uFFFD');
  t.true(undecodable(name('ed a0 80')), 'an encoded surrogate is not UTF-8');
  t.false(undecodable(name('63 61 66 c3 a9')));
});

test('SYMLINK and LINK bodies', (t) => {
  t.deepEqual(decode.symlink(new ByteReader(fixture('6c 00 74 61 72 67 65 74 00 // "l\\0target\\0"'))), { name: 'l', target: 'target' });
  t.deepEqual(decode.link(new ByteReader(fixture('2a 00 00 00 00 00 00 00 6c 32 00 // oldnodeid = 42, "l2"'))), { oldnodeid: 42, name: 'l2' });
});

test('SETATTR times are signed: a date before 1970 decodes', (t) => {
  const body = Buffer.alloc(88);
  body.writeUInt32LE(0x30, 0); // valid = ATIME | MTIME
  body.writeBigInt64LE(-86400n, 32); // atime (after valid, padding, fh, size, lock_owner): 1969-12-31
  body.writeBigInt64LE(-1n, 40); // mtime
  const a = decode.setattr(new ByteReader(body));
  t.is(a.atime, -86400);
  t.is(a.mtime, -1);
});
