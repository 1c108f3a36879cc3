/**
 * Reply encoders against byte fixtures. Every input field holds a distinct non-zero value (u64s with
 * a non-zero high word where the type allows), so writing two fields in the wrong order, at the
 * wrong width or at the wrong offset changes the bytes and fails the test. Reserved fields are 0.
 */
import test from 'ava';
import { DT_DIR, DT_LNK, DT_REG, S_IFDIR, S_IFLNK, S_IFREG, direntType } from '../../../fs/fuse/abi.js';
import { DirentList, encode, encodeError, encodeReply, notify } from '../../../fs/fuse/replies.js';
import { fixture } from '../../helpers/fixture.js';

const attr = {
  ino: 0x1_0000_0007, size: 0x2_0000_0201, mode: 0o100640, nlink: 3, uid: 1001, gid: 101,
  atimeMs: 1_700_000_001_500, mtimeMs: 1_700_000_002_250, ctimeMs: 1_700_000_003_750, rdev: 0x103, blksize: 8192,
};

/** struct fuse_attr for `attr` above (88 bytes). */
const attrBytes = `
    07 00 00 00 01 00 00 00   // ino = 0x1_0000_0007
    01 02 00 00 02 00 00 00   // size = 0x2_0000_0201
    02 00 00 01 00 00 00 00   // blocks = ceil(size / 512) = 0x100_0002
    01 f1 53 65 00 00 00 00   // atime = 1700000001 s
    02 f1 53 65 00 00 00 00   // mtime = 1700000002 s
    03 f1 53 65 00 00 00 00   // ctime = 1700000003 s
    00 65 cd 1d               // atimensec = 500000000
    80 b2 e6 0e               // mtimensec = 250000000
    80 17 b4 2c               // ctimensec = 750000000
    a0 81 00 00               // mode = S_IFREG | 0640
    03 00 00 00               // nlink = 3
    e9 03 00 00               // uid = 1001
    65 00 00 00               // gid = 101
    03 01 00 00               // rdev = 0x103
    00 20 00 00               // blksize = 8192
    00 00 00 00               // flags = 0
`;

const entry = { nodeid: 0x4_0000_002a, generation: 0x5_0000_0009, entryValidMs: 3125, attrValidMs: 2375, attr };
const entryBytes = `
    2a 00 00 00 04 00 00 00   // nodeid = 0x4_0000_002a
    09 00 00 00 05 00 00 00   // generation = 0x5_0000_0009
    03 00 00 00 00 00 00 00   // entry_valid = 3 s
    02 00 00 00 00 00 00 00   // attr_valid = 2 s
    40 59 73 07               // entry_valid_nsec = 125000000
    c0 0b 5a 16               // attr_valid_nsec = 375000000
    ${attrBytes}
`;

test('fuse_entry_out: every field, timeouts split in seconds and nanoseconds, then fuse_attr', (t) => {
  t.deepEqual(encode.entry(entry), fixture(entryBytes));
});

test('fuse_attr: rdev and blksize default to 0 and 4096; blocks round up', (t) => {
  const { rdev: _r, blksize: _b, ...plain } = attr;
  const bytes = encode.attr({ attrValidMs: 0, attr: { ...plain, size: 513 } });
  t.is(bytes.readBigUInt64LE(16 + 8), 513n, 'size');
  t.is(bytes.readBigUInt64LE(16 + 16), 2n, 'blocks = ceil(513 / 512)');
  t.is(bytes.readUInt32LE(16 + 76), 0, 'rdev');
  t.is(bytes.readUInt32LE(16 + 80), 4096, 'blksize');
});

test('fuse_attr_out: attr_valid, attr_valid_nsec, dummy, then fuse_attr', (t) => {
  t.deepEqual(encode.attr({ attrValidMs: 2375, attr }), fixture(`
    02 00 00 00 00 00 00 00   // attr_valid = 2 s
    c0 0b 5a 16               // attr_valid_nsec = 375000000
    00 00 00 00               // dummy
    ${attrBytes}
  `));
});

test('fuse_open_out: fh and FOPEN_* flags', (t) => {
  t.deepEqual(encode.open({ fh: 0x1_0000_0003, openFlags: 0x45 }), fixture(`
    03 00 00 00 01 00 00 00   // fh = 0x1_0000_0003
    45 00 00 00               // open_flags = FOPEN_DIRECT_IO | FOPEN_NONSEEKABLE | FOPEN_PARALLEL_DIRECT_WRITES
    00 00 00 00               // open_flags is u32, then padding
  `));
});

test('CREATE: fuse_entry_out then fuse_open_out', (t) => {
  t.deepEqual(encode.create({ entry, open: { fh: 0x1_0000_0003, openFlags: 0x45 } }), fixture(`
    ${entryBytes}
    03 00 00 00 01 00 00 00   // fh = 0x1_0000_0003
    45 00 00 00               // open_flags
    00 00 00 00               // padding
  `));
});

test('fuse_init_out: 64 bytes, every negotiated field in place', (t) => {
  const bytes = encode.init({
    major: 7, minor: 38, maxReadahead: 0x20000, flags: 0x240021, maxBackground: 12, congestionThreshold: 9,
    maxWrite: 0x30000, timeGran: 1000, maxPages: 33,
  });
  t.deepEqual(bytes, fixture(`
    07 00 00 00               // major = 7
    26 00 00 00               // minor = 38
    00 00 02 00               // max_readahead = 0x20000
    21 00 24 00               // flags = ASYNC_READ | BIG_WRITES | PARALLEL_DIROPS | ABORT_ERROR
    0c 00                     // max_background = 12
    09 00                     // congestion_threshold = 9
    00 00 03 00               // max_write = 0x30000
    e8 03 00 00               // time_gran = 1000 ns
    21 00                     // max_pages = 33
    00 00                     // map_alignment = 0
    00 00 00 00               // flags2 = 0 (FUSE_INIT_EXT never set)
    ${'00 '.repeat(28)}       // unused[7]
  `));
});

test('fuse_statfs_out (struct fuse_kstatfs): every field', (t) => {
  const bytes = encode.statfs({
    blocks: 0x1_0000_0011, bfree: 0x2_0000_0012, bavail: 0x3_0000_0013, files: 0x4_0000_0014, ffree: 0x5_0000_0015,
    bsize: 4096, namelen: 255, frsize: 512,
  });
  t.deepEqual(bytes, fixture(`
    11 00 00 00 01 00 00 00   // blocks = 0x1_0000_0011
    12 00 00 00 02 00 00 00   // bfree = 0x2_0000_0012
    13 00 00 00 03 00 00 00   // bavail = 0x3_0000_0013
    14 00 00 00 04 00 00 00   // files = 0x4_0000_0014
    15 00 00 00 05 00 00 00   // ffree = 0x5_0000_0015
    00 10 00 00               // bsize = 4096
    ff 00 00 00               // namelen = 255
    00 02 00 00               // frsize = 512
    00 00 00 00               // padding
    ${'00 '.repeat(24)}       // spare[6]
  `));
});

test('fuse_write_out, fuse_poll_out, fuse_getxattr_out', (t) => {
  t.deepEqual(encode.write(0x10004), fixture(`04 00 01 00 // size = 0x10004
                                             00 00 00 00 // padding`));
  t.deepEqual(encode.poll(0x145), fixture(`45 01 00 00 // revents = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM
                                           00 00 00 00 // padding`));
  t.deepEqual(encode.xattrSize(0x10203), fixture(`03 02 01 00 // size = 0x10203
                                                  00 00 00 00 // padding`));
  t.deepEqual(encode.empty(), Buffer.alloc(0));
});

test('fuse_ioctl_out: result (signed), flags, in_iovs, out_iovs, then the out data', (t) => {
  t.deepEqual(encode.ioctl({ result: 0x102, data: Buffer.from('xy') }), fixture(`
    02 01 00 00               // result = 0x102
    00 00 00 00               // flags = 0 (restricted ioctl: no retry)
    00 00 00 00               // in_iovs
    00 00 00 00               // out_iovs
    78 79                     // out data = "xy"
  `));
  t.deepEqual(encode.ioctl({ result: -2 }), fixture(`
    fe ff ff ff               // result = -2
    00 00 00 00 00 00 00 00 00 00 00 00 // flags, in_iovs, out_iovs
  `));
});

test('an error reply is the out header alone with error = -errno', (t) => {
  t.deepEqual(encodeError(0x2_0000_000a, 4), fixture(`
    10 00 00 00               // len = 16
    fc ff ff ff               // error = -4 (-EINTR)
    0a 00 00 00 02 00 00 00   // unique = 0x2_0000_000a
  `));
});

test('a reply is the out header with error 0, then the body', (t) => {
  t.deepEqual(encodeReply(0x1_0000_000c, Buffer.from('ok')), fixture(`
    12 00 00 00               // len = 18
    00 00 00 00               // error = 0
    0c 00 00 00 01 00 00 00   // unique = 0x1_0000_000c
    6f 6b                     // body "ok"
  `));
});

test('READDIR: fuse_dirent records padded to 8 bytes, filling the size asked for exactly and no more', (t) => {
  const list = new DirentList(64);
  t.true(list.add(0x1_0000_0005, 0x2_0000_0001, 4, 'sysv'));
  t.true(list.add(0x3_0000_0006, 0x4_0000_0002, 8, 'namedsem'), 'a 32-byte record fits the 32 bytes left exactly');
  t.false(list.add(7, 3, 8, ''), 'the smallest record (24 bytes, empty name) does not fit 0 bytes left');
  t.deepEqual(list.done(), fixture(`
    05 00 00 00 01 00 00 00   // ino = 0x1_0000_0005
    01 00 00 00 02 00 00 00   // off = 0x2_0000_0001 (cookie of the next entry)
    04 00 00 00               // namelen = 4
    04 00 00 00               // type = DT_DIR
    73 79 73 76               // "sysv"
    00 00 00 00               // padding to 32
    06 00 00 00 03 00 00 00   // ino = 0x3_0000_0006
    02 00 00 00 04 00 00 00   // off = 0x4_0000_0002
    08 00 00 00               // namelen = 8
    08 00 00 00               // type = DT_REG
    6e 61 6d 65 64 73 65 6d   // "namedsem" (no padding: 24 + 8 = 32)
  `));
});

test('notifications: unique 0, error = notify code, then every field of the notify struct', (t) => {
  t.deepEqual(notify.pollWakeup(0x1_0000_0011), fixture(`
    18 00 00 00               // len = 24
    01 00 00 00               // error = FUSE_NOTIFY_POLL (1)
    00 00 00 00 00 00 00 00   // unique = 0
    11 00 00 00 01 00 00 00   // kh = 0x1_0000_0011
  `));
  t.deepEqual(notify.invalEntry(0x2_0000_0001, 'ab'), fixture(`
    23 00 00 00               // len = 35
    03 00 00 00               // error = FUSE_NOTIFY_INVAL_ENTRY (3)
    00 00 00 00 00 00 00 00   // unique = 0
    01 00 00 00 02 00 00 00   // parent = 0x2_0000_0001
    02 00 00 00               // namelen = 2
    00 00 00 00               // flags
    61 62 00                  // "ab" and its NUL
  `));
  t.deepEqual(notify.invalInode(0x3_0000_0009, 0x1_0000_1000, 0x2000), fixture(`
    28 00 00 00               // len = 40
    02 00 00 00               // error = FUSE_NOTIFY_INVAL_INODE (2)
    00 00 00 00 00 00 00 00   // unique = 0
    09 00 00 00 03 00 00 00   // ino (node id) = 0x3_0000_0009
    00 10 00 00 01 00 00 00   // off = 0x1_0000_1000
    00 20 00 00 00 00 00 00   // len = 0x2000
  `));
  t.deepEqual(notify.invalInode(9), fixture(`
    28 00 00 00               // len = 40
    02 00 00 00               // error = FUSE_NOTIFY_INVAL_INODE (2)
    00 00 00 00 00 00 00 00   // unique = 0
    09 00 00 00 00 00 00 00   // ino = 9
    00 00 00 00 00 00 00 00   // off = 0 (default)
    ff ff ff ff ff ff ff ff   // len = -1 (default: all)
  `));
});

test('direntType: d_type from st_mode for READDIR', (t) => {
  t.is(direntType(S_IFDIR | 0o755), DT_DIR);
  t.is(direntType(S_IFLNK | 0o777), DT_LNK);
  t.is(direntType(S_IFREG | 0o644), DT_REG);
  t.is(direntType(0o140000 | 0o644), DT_REG, 'anything else (a socket here) is listed as a regular file');
  t.deepEqual([DT_DIR, DT_REG, DT_LNK], [4, 8, 10]);
});
