import test from 'ava';
import { ByteReader } from '../../../fs/fuse/bytes.js';
import { DecodeError, Errno } from '../../../fs/fuse/errno.js';
import { decode, decodeInHeader, undecodable } from '../../../fs/fuse/requests.js';
import { fixture } from '../../helpers/fixture.js';

const lookupRequest = fixture(`
  // fuse_in_header
  2e 00 00 00                 // len = 46 (40 header + "named\\0")
  01 00 00 00                 // opcode = FUSE_LOOKUP (1)
  0a 00 00 00 03 00 00 00     // unique = 0x3_0000_000a
  02 00 00 00 01 00 00 00     // nodeid = 0x1_0000_0002
  e8 03 00 00                 // uid = 1000
  64 00 00 00                 // gid = 100
  39 30 00 00                 // pid = 12345 (a thread id)
  06 00                       // total_extlen = 6 (a value no request here has; decoded, not acted on)
  ee ee                       // padding
  // body: the name, NUL-terminated
  6e 61 6d 65 64 00           // "named"
`);

test('fuse_in_header: every field', (t) => {
  t.deepEqual(decodeInHeader(lookupRequest), {
    len: 46, opcode: 1, unique: 0x3_0000_000a, nodeid: 0x1_0000_0002, uid: 1000, gid: 100, pid: 12345, totalExtlen: 6,
  });
});

test('LOOKUP body: the NUL-terminated name', (t) => {
  t.deepEqual(decode.name(new ByteReader(lookupRequest.subarray(40))), { name: 'named' });
});

test('a header shorter than 40 bytes is a DecodeError (EIO), not a crash', (t) => {
  const e = t.throws(() => decodeInHeader(lookupRequest.subarray(0, 39)), { instanceOf: DecodeError, message: /39 bytes/ });
  t.is(e?.errno, Errno.EIO);
});

test('a header of exactly 40 bytes is a whole request (no body)', (t) => {
  const h = Buffer.from(lookupRequest.subarray(0, 40));
  h.writeUInt32LE(40, 0);
  t.is(decodeInHeader(h).len, 40);
});

test('a header whose unique or nodeid does not fit 53 bits is refused naming the field', (t) => {
  const h = Buffer.from(lookupRequest);
  h.writeUInt32LE(0x200000, 12); // unique's high word: 2^53
  t.throws(() => decodeInHeader(h), { instanceOf: DecodeError, message: 'unique does not fit 53 bits' });
  const n = Buffer.from(lookupRequest);
  n.writeUInt32LE(0x200000, 20); // nodeid's high word
  t.throws(() => decodeInHeader(n), { instanceOf: DecodeError, message: 'nodeid does not fit 53 bits' });
});

test('a header whose len disagrees with the bytes read is refused', (t) => {
  const e = t.throws(() => decodeInHeader(lookupRequest.subarray(0, 45)), { instanceOf: DecodeError, message: /says 46/ });
  t.is(e?.errno, Errno.EIO);
});

test('a name without its NUL is refused', (t) => {
  const e = t.throws(() => decode.name(new ByteReader(Buffer.from('named'))), { instanceOf: DecodeError, message: /NUL/ });
  t.is(e?.errno, Errno.EIO);
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

test('INIT from a 7.36 kernel that sends exactly 20 bytes: flags2 is read', (t) => {
  const body = fixture(`
    07 00 00 00               // major = 7
    24 00 00 00               // minor = 36
    00 00 01 00               // max_readahead = 65536
    00 00 00 40               // flags = INIT_EXT
    05 00 00 00               // flags2 = 5
  `);
  t.deepEqual(decode.init(new ByteReader(body)), { major: 7, minor: 36, maxReadahead: 65536, flags: 0x40000000, flags2: 5 });
});

test('decode.empty: one frozen empty object for requests without a body', (t) => {
  t.deepEqual(decode.empty(), {});
  t.true(Object.isFrozen(decode.empty()));
});

test('a DecodeError is an EIO ErrnoError named DecodeError', (t) => {
  const e = new DecodeError('x');
  t.is(e.name, 'DecodeError');
  t.is(e.errno, Errno.EIO);
  t.is(e.message, 'x');
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
  const e = t.throws(() => decode.write(new ByteReader(body)), { instanceOf: DecodeError, message: /says 9 bytes, carries 4/ });
  t.is(e?.errno, Errno.EIO);
});

test('BATCH_FORGET claiming more entries than it carries is refused', (t) => {
  const body = fixture(`
    ff ff 00 00               // count = 65535
    00 00 00 00               // dummy
    07 00 00 00 00 00 00 00   // one nodeid
    01 00 00 00 00 00 00 00   // one nlookup
  `);
  const e = t.throws(() => decode.batchForget(new ByteReader(body)), { instanceOf: DecodeError, message: /65535 entries/ });
  t.is(e?.errno, Errno.EIO);
});

test('BATCH_FORGET whose entries exactly fill the body is accepted', (t) => {
  const body = fixture(`
    01 00 00 00               // count = 1
    00 00 00 00               // dummy
    07 00 00 00 00 00 00 00   // nodeid = 7
    01 00 00 00 00 00 00 00   // nlookup = 1
  `);
  t.deepEqual(decode.batchForget(new ByteReader(body)).items, [{ nodeid: 7, nlookup: 1 }]);
});

test('a u64 that does not fit 53 bits is refused where a number is expected; 2^53 - 1 is not', (t) => {
  const e = t.throws(() => new ByteReader(fixture(`ff ff ff ff ff ff ff ff // 2^64 - 1`)).u64('fh'), { instanceOf: DecodeError, message: /fh does not fit/ });
  t.is(e?.errno, Errno.EIO);
  t.throws(() => new ByteReader(fixture(`00 00 00 00 00 00 20 00 // 2^53`)).u64('fh'), { instanceOf: DecodeError });
  t.is(new ByteReader(fixture(`ff ff ff ff ff ff 1f 00 // 2^53 - 1`)).u64('fh'), Number.MAX_SAFE_INTEGER);
});

test('every decoder refuses an empty body with a DecodeError (EIO) and nothing else', (t) => {
  for (const [name, fn] of Object.entries(decode)) {
    if (name === 'empty') continue;
    const err = t.throws(() => (fn as (r: ByteReader) => unknown)(new ByteReader(Buffer.alloc(0))), { instanceOf: DecodeError }, name);
    t.is(err?.errno, Errno.EIO, name);
    t.regex(err?.message ?? '', /short request: .* needs \d+ bytes at offset 0, 0 left|NUL/, name);
  }
});

test('every fixed-size decoder refuses a body one byte short', (t) => {
  const sizes: [keyof typeof decode, number][] = [
    ['getattr', 16], ['setattr', 88], ['read', 40], ['release', 24], ['flush', 24], ['fsync', 16],
    ['listxattr', 8], ['access', 8], ['interrupt', 8], ['poll', 24], ['forget', 8], ['open', 8],
  ];
  for (const [name, size] of sizes) {
    const fn = decode[name] as (r: ByteReader) => unknown;
    t.notThrows(() => fn(new ByteReader(Buffer.alloc(size))), name);
    t.throws(() => fn(new ByteReader(Buffer.alloc(size - 1))), { instanceOf: DecodeError }, name);
  }
});
// ---------------------------------------------------------------------------------------------
// One fixture per decoder. Every field holds a distinct non-zero value (u64s with a non-zero high
// word too), and every padding/unused field holds ee/dd bytes the decoder must skip, so that
// reading any two fields in the wrong order, at the wrong width, or from the padding fails.
// ---------------------------------------------------------------------------------------------

test('INIT (fuse_init_in, 7.36+): every field, unused tail ignored', (t) => {
  const body = fixture(`
    07 00 00 00               // major = 7
    2d 00 00 00               // minor = 45
    00 00 02 00               // max_readahead = 131072
    20 00 24 40               // flags = BIG_WRITES | PARALLEL_DIROPS | ABORT_ERROR | INIT_EXT
    03 00 00 00               // flags2 = 3
    ${'ee '.repeat(44)}       // unused[11]
  `);
  t.deepEqual(decode.init(new ByteReader(body)), { major: 7, minor: 45, maxReadahead: 131072, flags: 0x40240020, flags2: 3 });
});

test('GETATTR (fuse_getattr_in): getattr_flags, fh', (t) => {
  const body = fixture(`
    01 00 00 00               // getattr_flags = FUSE_GETATTR_FH
    ee ee ee ee               // dummy
    05 00 00 00 03 00 00 00   // fh = 0x3_0000_0005
  `);
  t.deepEqual(decode.getattr(new ByteReader(body)), { getattrFlags: 1, fh: 0x3_0000_0005 });
});

test('SETATTR (fuse_setattr_in): every field', (t) => {
  const body = fixture(`
    7f 0e 00 00               // valid = 0xe7f
    ee ee ee ee               // padding
    21 00 00 00 01 00 00 00   // fh = 0x1_0000_0021
    22 00 00 00 02 00 00 00   // size = 0x2_0000_0022
    23 00 00 00 00 00 00 f3   // lock_owner = 0xf300_0000_0000_0023
    24 00 00 00 04 00 00 00   // atime = 0x4_0000_0024
    25 00 00 00 05 00 00 00   // mtime = 0x5_0000_0025
    26 00 00 00 06 00 00 00   // ctime = 0x6_0000_0026
    27 00 00 00               // atimensec = 0x27
    28 00 00 00               // mtimensec = 0x28
    29 00 00 00               // ctimensec = 0x29
    ed 81 00 00               // mode = S_IFREG | 0755
    ee ee ee ee               // unused4
    e9 03 00 00               // uid = 1001
    65 00 00 00               // gid = 101
    dd dd dd dd               // unused5
  `);
  t.deepEqual(decode.setattr(new ByteReader(body)), {
    valid: 0xe7f, fh: 0x1_0000_0021, size: 0x2_0000_0022, lockOwner: 0xf300_0000_0000_0023n,
    atime: 0x4_0000_0024, mtime: 0x5_0000_0025, ctime: 0x6_0000_0026,
    atimensec: 0x27, mtimensec: 0x28, ctimensec: 0x29, mode: 0o100755, uid: 1001, gid: 101,
  });
});

test('MKNOD (fuse_mknod_in): mode, rdev, umask, name', (t) => {
  const body = fixture(`
    a4 81 00 00               // mode = S_IFREG | 0644
    03 01 00 00               // rdev = 0x103
    12 00 00 00               // umask = 022
    ee ee ee ee               // padding
    6e 00                     // "n"
  `);
  t.deepEqual(decode.mknod(new ByteReader(body)), { mode: 0o100644, rdev: 0x103, umask: 0o22, name: 'n' });
});

test('MKDIR (fuse_mkdir_in): mode, umask, name', (t) => {
  const body = fixture(`
    ed 01 00 00               // mode = 0755
    17 00 00 00               // umask = 027
    64 00                     // "d"
  `);
  t.deepEqual(decode.mkdir(new ByteReader(body)), { mode: 0o755, umask: 0o27, name: 'd' });
});

test('RENAME (fuse_rename_in): newdir, both names', (t) => {
  const body = fixture(`
    09 00 00 00 02 00 00 00   // newdir = 0x2_0000_0009
    61 00                     // "a"
    62 63 00                  // "bc"
  `);
  t.deepEqual(decode.rename(new ByteReader(body)), { newdir: 0x2_0000_0009, flags: 0, oldname: 'a', newname: 'bc' });
});

test('RENAME2 (fuse_rename2_in): newdir, flags, both names', (t) => {
  const body = fixture(`
    09 00 00 00 02 00 00 00   // newdir = 0x2_0000_0009
    02 00 00 00               // flags = RENAME_EXCHANGE
    ee ee ee ee               // padding
    61 00                     // "a"
    62 63 00                  // "bc"
  `);
  t.deepEqual(decode.rename2(new ByteReader(body)), { newdir: 0x2_0000_0009, flags: 2, oldname: 'a', newname: 'bc' });
});

test('OPEN (fuse_open_in): flags, open_flags', (t) => {
  const body = fixture(`
    02 80 00 00               // flags = O_RDWR | O_LARGEFILE
    01 00 00 00               // open_flags = FUSE_OPEN_KILL_SUIDGID
  `);
  t.deepEqual(decode.open(new ByteReader(body)), { flags: 0o100002, openFlags: 1 });
});

test('CREATE (fuse_create_in): flags, mode, umask, open_flags, name', (t) => {
  const body = fixture(`
    c1 80 00 00               // flags = O_WRONLY|O_CREAT|O_EXCL|O_LARGEFILE (0o100301)
    a4 81 00 00               // mode = S_IFREG | 0644
    12 00 00 00               // umask = 022
    01 00 00 00               // open_flags = FUSE_OPEN_KILL_SUIDGID
    73 65 6d 00               // "sem"
  `);
  t.deepEqual(decode.create(new ByteReader(body)), { flags: 0o100301, mode: 0o100644, umask: 0o22, openFlags: 1, name: 'sem' });
});

test('READ (fuse_read_in): every field', (t) => {
  const body = fixture(`
    31 00 00 00 01 00 00 00   // fh = 0x1_0000_0031
    32 00 00 00 02 00 00 00   // offset = 0x2_0000_0032
    00 10 00 00               // size = 4096
    02 00 00 00               // read_flags = FUSE_READ_LOCKOWNER
    33 00 00 00 00 00 00 f5   // lock_owner = 0xf500_0000_0000_0033
    02 80 00 00               // flags = O_RDWR | O_LARGEFILE
    ee ee ee ee               // padding
  `);
  t.deepEqual(decode.read(new ByteReader(body)), {
    fh: 0x1_0000_0031, offset: 0x2_0000_0032, size: 4096, readFlags: 2, lockOwner: 0xf500_0000_0000_0033n, flags: 0o100002,
  });
});

test('WRITE (fuse_write_in): every field and its data', (t) => {
  const body = fixture(`
    41 00 00 00 01 00 00 00   // fh = 0x1_0000_0041
    42 00 00 00 02 00 00 00   // offset = 0x2_0000_0042
    04 00 00 00               // size = 4
    03 00 00 00               // write_flags = FUSE_WRITE_CACHE | FUSE_WRITE_LOCKOWNER
    ef cd ab 89 67 45 23 f1   // lock_owner = 0xf123_4567_89ab_cdef
    01 80 00 00               // flags = O_WRONLY | O_LARGEFILE
    ee ee ee ee               // padding
    70 69 6e 67               // data = "ping"
  `);
  const w = decode.write(new ByteReader(body));
  t.deepEqual({ ...w, data: w.data.toString() }, {
    fh: 0x1_0000_0041, offset: 0x2_0000_0042, size: 4, writeFlags: 3, lockOwner: 0xf123_4567_89ab_cdefn, flags: 0o100001, data: 'ping',
  });
});

test('RELEASE (fuse_release_in): fh, flags, release_flags, lock_owner', (t) => {
  const body = fixture(`
    51 00 00 00 01 00 00 00   // fh = 0x1_0000_0051
    02 80 00 00               // flags = O_RDWR | O_LARGEFILE
    03 00 00 00               // release_flags = FUSE_RELEASE_FLUSH | FUSE_RELEASE_FLOCK_UNLOCK
    52 00 00 00 00 00 00 f6   // lock_owner = 0xf600_0000_0000_0052
  `);
  t.deepEqual(decode.release(new ByteReader(body)), { fh: 0x1_0000_0051, flags: 0o100002, releaseFlags: 3, lockOwner: 0xf600_0000_0000_0052n });
});

test('FLUSH (fuse_flush_in): fh, lock_owner', (t) => {
  const body = fixture(`
    61 00 00 00 01 00 00 00   // fh = 0x1_0000_0061
    ee ee ee ee               // unused
    dd dd dd dd               // padding
    62 00 00 00 00 00 00 f7   // lock_owner = 0xf700_0000_0000_0062
  `);
  t.deepEqual(decode.flush(new ByteReader(body)), { fh: 0x1_0000_0061, lockOwner: 0xf700_0000_0000_0062n });
});

test('FSYNC (fuse_fsync_in): fh, fsync_flags', (t) => {
  const body = fixture(`
    71 00 00 00 01 00 00 00   // fh = 0x1_0000_0071
    01 00 00 00               // fsync_flags = FUSE_FSYNC_FDATASYNC
    ee ee ee ee               // padding
  `);
  t.deepEqual(decode.fsync(new ByteReader(body)), { fh: 0x1_0000_0071, fsyncFlags: 1 });
});

test('SETXATTR (compat fuse_setxattr_in): size, flags, name, value', (t) => {
  const body = fixture(`
    03 00 00 00               // size = 3
    02 00 00 00               // flags = XATTR_REPLACE
    75 2e 78 00               // "u.x"
    76 61 6c                  // value = "val"
  `);
  const s = decode.setxattr(new ByteReader(body));
  t.deepEqual({ ...s, value: s.value.toString() }, { size: 3, flags: 2, name: 'u.x', value: 'val' });
});

test('GETXATTR (fuse_getxattr_in): size, name', (t) => {
  const body = fixture(`
    00 01 00 00               // size = 256
    ee ee ee ee               // padding
    75 2e 78 00               // "u.x"
  `);
  t.deepEqual(decode.getxattr(new ByteReader(body)), { size: 256, name: 'u.x' });
});

test('LISTXATTR (fuse_getxattr_in): size', (t) => {
  const body = fixture(`
    00 02 00 00               // size = 512
    ee ee ee ee               // padding
  `);
  t.deepEqual(decode.listxattr(new ByteReader(body)), { size: 512 });
});

test('ACCESS (fuse_access_in): mask', (t) => {
  const body = fixture(`
    06 00 00 00               // mask = R_OK | W_OK
    ee ee ee ee               // padding
  `);
  t.deepEqual(decode.access(new ByteReader(body)), { mask: 6 });
});

test('FORGET (fuse_forget_in): nlookup', (t) => {
  t.deepEqual(decode.forget(new ByteReader(fixture(`03 00 00 00 01 00 00 00 // nlookup = 0x1_0000_0003`))), { nlookup: 0x1_0000_0003 });
});

test('INTERRUPT (fuse_interrupt_in): the unique of the request to interrupt', (t) => {
  t.deepEqual(decode.interrupt(new ByteReader(fixture(`2a 00 00 00 01 00 00 00 // unique = 0x1_0000_002a`))), { unique: 0x1_0000_002a });
});

test('IOCTL (fuse_ioctl_in): every field and the in data', (t) => {
  const body = fixture(`
    81 00 00 00 01 00 00 00   // fh = 0x1_0000_0081
    04 00 00 00               // flags = FUSE_IOCTL_32BIT
    1b 54 00 00               // cmd = FIONREAD (0x541b)
    82 00 00 00 00 00 00 f8   // arg = 0xf800_0000_0000_0082
    02 00 00 00               // in_size = 2
    08 00 00 00               // out_size = 8
    68 69                     // in data = "hi"
  `);
  const io = decode.ioctl(new ByteReader(body));
  t.deepEqual({ ...io, data: io.data.toString() }, {
    fh: 0x1_0000_0081, flags: 4, cmd: 0x541b, arg: 0xf800_0000_0000_0082n, inSize: 2, outSize: 8, data: 'hi',
  });
});

test('POLL (fuse_poll_in): fh, kh, flags, events', (t) => {
  const body = fixture(`
    91 00 00 00 01 00 00 00   // fh = 0x1_0000_0091
    92 00 00 00 02 00 00 00   // kh = 0x2_0000_0092
    01 00 00 00               // flags = FUSE_POLL_SCHEDULE_NOTIFY
    45 00 00 00               // events = POLLIN | POLLOUT | POLLRDNORM
  `);
  t.deepEqual(decode.poll(new ByteReader(body)), { fh: 0x1_0000_0091, kh: 0x2_0000_0092, flags: 1, events: 0x45 });
});

test('BATCH_FORGET (fuse_batch_forget_in + fuse_forget_one): count then (nodeid, nlookup) pairs', (t) => {
  const body = fixture(`
    02 00 00 00               // count = 2
    ee ee ee ee               // dummy
    07 00 00 00 01 00 00 00   // [0].nodeid = 0x1_0000_0007
    01 00 00 00 00 00 00 00   // [0].nlookup = 1
    09 00 00 00 02 00 00 00   // [1].nodeid = 0x2_0000_0009
    03 00 00 00 00 00 00 00   // [1].nlookup = 3
  `);
  t.deepEqual(decode.batchForget(new ByteReader(body)).items, [{ nodeid: 0x1_0000_0007, nlookup: 1 }, { nodeid: 0x2_0000_0009, nlookup: 3 }]);
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

test('an undecodable name is NUL then its bytes as latin1, exactly; a leading BOM is part of a name', (t) => {
  const name = (hex: string): string => decode.name(new ByteReader(fixture(`${hex} 00`))).name;
  t.is(name('ff fe'), '\0\xff\xfe');
  t.is(name('c0 80'), '\0\xc0\x80');
  t.is(name('61 e9 62'), '\0a\xe9b', 'latin1 é alone is not UTF-8');
  t.is(name('ef bb bf 61'), '\uFEFFa', 'the BOM is kept: "\\xef\\xbb\\xbfa" and "a" are two names');
  t.false(undecodable(''));
  t.false(undecodable('a\0'));
  t.true(undecodable('\0'));
});

test('SYMLINK and LINK: each name is bytes, and a missing NUL or a short node id names the field', (t) => {
  const sl = decode.symlink(new ByteReader(fixture('ff 00 c3 a9 00 // "\\xff\\0é\\0"')));
  t.deepEqual(sl, { name: '\0\xff', target: 'é' });
  t.true(undecodable(decode.symlink(new ByteReader(fixture('6c 00 c0 80 00'))).target));
  t.throws(() => decode.symlink(new ByteReader(fixture('6c 00 74 61'))), { instanceOf: DecodeError, message: 'target is not NUL-terminated' });
  t.throws(() => decode.symlink(new ByteReader(fixture('6c 74'))), { instanceOf: DecodeError, message: 'name is not NUL-terminated' });
  t.throws(() => decode.link(new ByteReader(fixture('2a 00 00'))), { instanceOf: DecodeError, message: 'short request: oldnodeid needs 8 bytes at offset 0, 3 left' });
  t.throws(() => decode.link(new ByteReader(fixture('2a 00 00 00 00 00 00 00 6c'))), { instanceOf: DecodeError, message: 'name is not NUL-terminated' });
  t.deepEqual(decode.link(new ByteReader(fixture('01 00 00 00 02 00 00 00 ff 00 // oldnodeid = 0x2_0000_0001, "\\xff"'))), { oldnodeid: 0x2_0000_0001, name: '\0\xff' });
});

test('offsets: 2^53 is the first that clamps; a SETATTR size clamps the same way', (t) => {
  const body = Buffer.alloc(88);
  body.writeBigUInt64LE(2n ** 53n, 16); // size (after valid, padding, fh)
  t.is(decode.setattr(new ByteReader(body)).size, Number.MAX_SAFE_INTEGER);
  body.writeBigUInt64LE(2n ** 63n - 10n, 16);
  t.is(decode.setattr(new ByteReader(body)).size, Number.MAX_SAFE_INTEGER);
  body.writeBigUInt64LE(0x1_0000_0005n, 16);
  t.is(decode.setattr(new ByteReader(body)).size, 0x1_0000_0005);
});
