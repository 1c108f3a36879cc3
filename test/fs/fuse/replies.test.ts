import test from 'ava';
import { DirentList, encode, encodeError, encodeReply, notify } from '../../../fs/fuse/replies.js';
import { fixture } from '../../helpers/fixture.js';

const attr = { ino: 7, size: 0, mode: 0o100644, nlink: 1, uid: 1000, gid: 100, atimeMs: 1500, mtimeMs: 2000, ctimeMs: 3250 };

test('fuse_entry_out: node id, timeouts split in seconds and nanoseconds, then fuse_attr', (t) => {
  const bytes = encode.entry({ nodeid: 42, generation: 0, entryValidMs: 0, attrValidMs: 1500, attr });
  t.deepEqual(bytes, fixture(`
    2a 00 00 00 00 00 00 00   // nodeid = 42
    00 00 00 00 00 00 00 00   // generation = 0
    00 00 00 00 00 00 00 00   // entry_valid = 0 s
    01 00 00 00 00 00 00 00   // attr_valid = 1 s
    00 00 00 00               // entry_valid_nsec = 0
    00 65 cd 1d               // attr_valid_nsec = 500000000
    // fuse_attr
    07 00 00 00 00 00 00 00   // ino = 7
    00 00 00 00 00 00 00 00   // size = 0
    00 00 00 00 00 00 00 00   // blocks = 0
    01 00 00 00 00 00 00 00   // atime = 1 s
    02 00 00 00 00 00 00 00   // mtime = 2 s
    03 00 00 00 00 00 00 00   // ctime = 3 s
    00 65 cd 1d               // atimensec = 500000000
    00 00 00 00               // mtimensec = 0
    80 b2 e6 0e               // ctimensec = 250000000
    a4 81 00 00               // mode = S_IFREG | 0644
    01 00 00 00               // nlink = 1
    e8 03 00 00               // uid = 1000
    64 00 00 00               // gid = 100
    00 00 00 00               // rdev = 0
    00 10 00 00               // blksize = 4096
    00 00 00 00               // flags = 0
  `));
});

test('fuse_attr_out: 16 bytes of timeout then the same fuse_attr', (t) => {
  const bytes = encode.attr({ attrValidMs: 0, attr });
  t.is(bytes.length, 104);
  t.deepEqual(bytes.subarray(0, 16), fixture(`
    00 00 00 00 00 00 00 00   // attr_valid = 0
    00 00 00 00               // attr_valid_nsec = 0
    00 00 00 00               // dummy
  `));
  t.deepEqual(bytes.subarray(16), encode.entry({ nodeid: 1, generation: 0, entryValidMs: 0, attrValidMs: 0, attr }).subarray(40));
});

test('fuse_open_out: fh and FOPEN_* flags', (t) => {
  t.deepEqual(encode.open({ fh: 3, openFlags: 0x41 }), fixture(`
    03 00 00 00 00 00 00 00   // fh = 3
    41 00 00 00               // open_flags = FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES
    00 00 00 00               // padding
  `));
});

test('fuse_init_out: 64 bytes, the negotiated fields in place', (t) => {
  const bytes = encode.init({ major: 7, minor: 38, maxReadahead: 131072, flags: 0x240020, maxBackground: 0, congestionThreshold: 0, maxWrite: 131072, timeGran: 1, maxPages: 0 });
  t.deepEqual(bytes, fixture(`
    07 00 00 00               // major = 7
    26 00 00 00               // minor = 38
    00 00 02 00               // max_readahead = 131072
    20 00 24 00               // flags = BIG_WRITES | PARALLEL_DIROPS | ABORT_ERROR
    00 00                     // max_background = 0 (kernel default)
    00 00                     // congestion_threshold = 0
    00 00 02 00               // max_write = 131072
    01 00 00 00               // time_gran = 1 ns
    00 00                     // max_pages = 0
    00 00                     // map_alignment
    00 00 00 00               // flags2
    ${'00 '.repeat(28)}       // unused[7]
  `));
});

test('fuse_write_out and fuse_poll_out', (t) => {
  t.deepEqual(encode.write(4), fixture(`04 00 00 00 // size = 4
                                        00 00 00 00 // padding`));
  t.deepEqual(encode.poll(0x41), fixture(`41 00 00 00 // revents = POLLIN | POLLRDNORM
                                          00 00 00 00 // padding`));
});

test('an error reply is the out header alone with error = -errno', (t) => {
  t.deepEqual(encodeError(10, 4), fixture(`
    10 00 00 00               // len = 16
    fc ff ff ff               // error = -4 (-EINTR)
    0a 00 00 00 00 00 00 00   // unique = 10
  `));
});

test('a reply is the out header with error 0, then the body', (t) => {
  t.deepEqual(encodeReply(12, Buffer.from('ok')), fixture(`
    12 00 00 00               // len = 18
    00 00 00 00               // error = 0
    0c 00 00 00 00 00 00 00   // unique = 12
    6f 6b                     // body "ok"
  `));
});

test('READDIR entries are padded to 8 bytes and never exceed the size asked for', (t) => {
  const list = new DirentList(64);
  t.true(list.add(5, 1, 4, 'sysv'));
  t.false(list.add(6, 2, 4, 'a-name-too-long-for-what-is-left-of-the-buffer'));
  t.deepEqual(list.done(), fixture(`
    05 00 00 00 00 00 00 00   // ino = 5
    01 00 00 00 00 00 00 00   // off = 1 (cookie of the next entry)
    04 00 00 00               // namelen = 4
    04 00 00 00               // type = DT_DIR
    73 79 73 76               // "sysv"
    00 00 00 00               // padding to 32
  `));
});

test('notifications: unique 0, error = notify code', (t) => {
  t.deepEqual(notify.pollWakeup(17), fixture(`
    18 00 00 00               // len = 24
    01 00 00 00               // error = FUSE_NOTIFY_POLL (1)
    00 00 00 00 00 00 00 00   // unique = 0
    11 00 00 00 00 00 00 00   // kh = 17
  `));
  t.deepEqual(notify.invalEntry(1, 'ab'), fixture(`
    23 00 00 00               // len = 35
    03 00 00 00               // error = FUSE_NOTIFY_INVAL_ENTRY (3)
    00 00 00 00 00 00 00 00   // unique = 0
    01 00 00 00 00 00 00 00   // parent = 1
    02 00 00 00               // namelen = 2
    00 00 00 00               // flags
    61 62 00                  // "ab" and its NUL
  `));
  t.deepEqual(notify.invalInode(9), fixture(`
    28 00 00 00               // len = 40
    02 00 00 00               // error = FUSE_NOTIFY_INVAL_INODE (2)
    00 00 00 00 00 00 00 00   // unique = 0
    09 00 00 00 00 00 00 00   // ino (node id) = 9
    00 00 00 00 00 00 00 00   // off = 0
    ff ff ff ff ff ff ff ff   // len = -1 (all)
  `));
});
