/**
 * The codecs against the Layout table of fs/fuse/abi.ts (itself checked against <linux/fuse.h> by
 * abi-probe.test.ts): each decoder reads every field from its offset and width in the table, and
 * each encoder writes every field there. Every field gets its own non-zero value, padding gets ee
 * bytes, so any two fields swapped, or read from the padding, fail.
 */
import test from 'ava';
import { Layout, LayoutSince40, type StructLayout, type StructName } from '../../../fs/fuse/abi.js';
import { ByteReader } from '../../../fs/fuse/bytes.js';
import { DecodeError } from '../../../fs/fuse/errno.js';
import { decode, decodeInHeader } from '../../../fs/fuse/requests.js';
import { DirentList, encode, notify } from '../../../fs/fuse/replies.js';

/** The distinct value of field number i (1-based) of width w: for u64s a non-zero high word too. */
function valueOf(i: number, width: number): number {
  if (width === 2) return 0x100 + i;
  if (width === 4) return 0x1000_0000 + i;
  return 0x10_0000 * 2 ** 32 + i * 2 ** 32 + 0x2000 + i;
}

function write(buf: Buffer, at: number, width: number, v: number): void {
  if (width === 2) buf.writeUInt16LE(v, at);
  else if (width === 4) buf.writeUInt32LE(v, at);
  else buf.writeBigUInt64LE(BigInt(v), at);
}

function read(buf: Buffer, at: number, width: number): number {
  if (width === 2) return buf.readUInt16LE(at);
  if (width === 4) return buf.readUInt32LE(at);
  return Number(buf.readBigUInt64LE(at));
}

/** A struct image: mapped fields hold their distinct values, all else is ee. Returns it and the expected decode. */
function image(struct: StructName, fields: Record<string, string>, bigints: string[] = []) {
  const layout: StructLayout = Layout[struct];
  const buf = Buffer.alloc(layout.size, 0xee);
  const expected: Record<string, number | bigint> = {};
  layout.fields.forEach(([name, offset, width], i) => {
    const prop = fields[name];
    if (!prop) return;
    const v = valueOf(i + 1, width);
    write(buf, offset, width, v);
    expected[prop] = bigints.includes(prop) ? BigInt(v) : v;
  });
  assertFieldsExist(struct, fields);
  return { buf, expected };
}

function assertFieldsExist(struct: StructName, fields: Record<string, string>): void {
  const names = new Set<string>(Layout[struct].fields.map(([n]) => n));
  for (const f of Object.keys(fields)) if (!names.has(f)) throw new Error(`${struct} has no field ${f}`);
}

function pick(o: object, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, (o as Record<string, unknown>)[k]]));
}

const cstr = (s: string) => Buffer.from(`${s}\0`);

type Case = [decoder: keyof typeof decode, struct: StructName, fields: Record<string, string>, bigints?: string[], tail?: Buffer];
const decoders: Case[] = [
  ['init', 'fuse_init_in', { major: 'major', minor: 'minor', max_readahead: 'maxReadahead', flags: 'flags', flags2: 'flags2' }],
  ['getattr', 'fuse_getattr_in', { getattr_flags: 'getattrFlags', fh: 'fh' }],
  ['setattr', 'fuse_setattr_in', {
    valid: 'valid', fh: 'fh', size: 'size', lock_owner: 'lockOwner', atime: 'atime', mtime: 'mtime', ctime: 'ctime',
    atimensec: 'atimensec', mtimensec: 'mtimensec', ctimensec: 'ctimensec', mode: 'mode', uid: 'uid', gid: 'gid',
  }, ['lockOwner']],
  ['mknod', 'fuse_mknod_in', { mode: 'mode', rdev: 'rdev', umask: 'umask' }, [], cstr('n')],
  ['mkdir', 'fuse_mkdir_in', { mode: 'mode', umask: 'umask' }, [], cstr('d')],
  ['rename', 'fuse_rename_in', { newdir: 'newdir' }, [], Buffer.concat([cstr('a'), cstr('b')])],
  ['rename2', 'fuse_rename2_in', { newdir: 'newdir', flags: 'flags' }, [], Buffer.concat([cstr('a'), cstr('b')])],
  ['open', 'fuse_open_in', { flags: 'flags', open_flags: 'openFlags' }],
  ['create', 'fuse_create_in', { flags: 'flags', mode: 'mode', umask: 'umask', open_flags: 'openFlags' }, [], cstr('c')],
  ['read', 'fuse_read_in', { fh: 'fh', offset: 'offset', size: 'size', read_flags: 'readFlags', lock_owner: 'lockOwner', flags: 'flags' }, ['lockOwner']],
  ['release', 'fuse_release_in', { fh: 'fh', flags: 'flags', release_flags: 'releaseFlags', lock_owner: 'lockOwner' }, ['lockOwner']],
  ['flush', 'fuse_flush_in', { fh: 'fh', lock_owner: 'lockOwner' }, ['lockOwner']],
  ['fsync', 'fuse_fsync_in', { fh: 'fh', fsync_flags: 'fsyncFlags' }],
  ['getxattr', 'fuse_getxattr_in', { size: 'size' }, [], cstr('x')],
  ['listxattr', 'fuse_getxattr_in', { size: 'size' }],
  ['access', 'fuse_access_in', { mask: 'mask' }],
  ['interrupt', 'fuse_interrupt_in', { unique: 'unique' }],
  ['forget', 'fuse_forget_in', { nlookup: 'nlookup' }],
  ['ioctl', 'fuse_ioctl_in', { fh: 'fh', flags: 'flags', cmd: 'cmd', arg: 'arg', in_size: 'inSize', out_size: 'outSize' }, ['arg']],
  ['poll', 'fuse_poll_in', { fh: 'fh', kh: 'kh', flags: 'flags', events: 'events' }],
];

for (const [decoder, struct, fields, bigints = [], tail = Buffer.alloc(0)] of decoders) {
  test(`decode.${decoder} reads every field of ${struct} at its Layout offset`, (t) => {
    const { buf, expected } = image(struct, fields, bigints);
    const got = (decode[decoder] as (r: ByteReader) => object)(new ByteReader(Buffer.concat([buf, tail])));
    t.deepEqual(pick(got, Object.keys(expected)), expected);
  });
}

test('decode.write reads every field of fuse_write_in at its Layout offset, then the data', (t) => {
  const { buf, expected } = image('fuse_write_in', { fh: 'fh', offset: 'offset', write_flags: 'writeFlags', lock_owner: 'lockOwner', flags: 'flags' }, ['lockOwner']);
  buf.writeUInt32LE(3, Layout.fuse_write_in.fields[2][1]); // size: must match the data carried
  const got = decode.write(new ByteReader(Buffer.concat([buf, Buffer.from('abc')])));
  t.deepEqual({ ...pick(got, Object.keys(expected)), size: got.size, data: got.data.toString() }, { ...expected, size: 3, data: 'abc' });
});

test('decode.setxattr reads the compat fuse_setxattr_in (size, flags) at its Layout offsets', (t) => {
  const { buf, expected } = image('fuse_setxattr_in', { flags: 'flags' });
  buf.writeUInt32LE(2, 0); // size: the value's length
  const got = decode.setxattr(new ByteReader(Buffer.concat([buf.subarray(0, 8), cstr('u.x'), Buffer.from('vv')])));
  t.deepEqual({ flags: got.flags, size: got.size, name: got.name, value: got.value.toString() }, { ...expected, size: 2, name: 'u.x', value: 'vv' });
});

test('decode.batchForget reads fuse_batch_forget_in then fuse_forget_one entries at their Layout offsets', (t) => {
  const head = image('fuse_batch_forget_in', {});
  head.buf.writeUInt32LE(2, Layout.fuse_batch_forget_in.fields[0][1]);
  const one = image('fuse_forget_one', { nodeid: 'nodeid', nlookup: 'nlookup' });
  const got = decode.batchForget(new ByteReader(Buffer.concat([head.buf, one.buf, one.buf])));
  t.deepEqual(got.items, [one.expected, one.expected]);
});

test('decodeInHeader reads every field of fuse_in_header at its Layout offset', (t) => {
  const { buf, expected } = image('fuse_in_header', {
    opcode: 'opcode', unique: 'unique', nodeid: 'nodeid', uid: 'uid', gid: 'gid', pid: 'pid', total_extlen: 'totalExtlen',
  });
  buf.writeUInt32LE(buf.length, 0);
  t.deepEqual(pick(decodeInHeader(buf), Object.keys(expected)), expected);
});

/** Nested structs, read on their own. */
const NESTED = new Set(['attr', 'st']);

/** Reads every scalar field of an encoded struct at its Layout offset; arrays (unused, spare) must be 0. */
function fieldsOf(t: { is: (a: unknown, b: unknown, m?: string) => void }, struct: StructName, bytes: Buffer, at = 0): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, offset, width] of Layout[struct].fields as StructLayout['fields']) {
    if (NESTED.has(name)) continue;
    if (width <= 8) out[name] = read(bytes, at + offset, width);
    else t.is(bytes.subarray(at + offset, at + offset + width).every((b) => b === 0), true, `${struct}.${name} is zero`);
  }
  return out;
}

const attr = {
  ino: valueOf(1, 8), size: valueOf(2, 8), mode: 0o100640, nlink: 3, uid: 1001, gid: 101,
  atimeMs: 1_700_000_001_500, mtimeMs: 1_700_000_002_250, ctimeMs: 1_700_000_003_750, rdev: 0x103, blksize: 8192,
};
const attrFields = {
  ino: attr.ino, size: attr.size, blocks: Math.ceil(attr.size / 512), atime: 1_700_000_001, mtime: 1_700_000_002, ctime: 1_700_000_003,
  atimensec: 500_000_000, mtimensec: 250_000_000, ctimensec: 750_000_000, mode: attr.mode, nlink: 3, uid: 1001, gid: 101,
  rdev: 0x103, blksize: 8192, flags: 0,
};

test('encode.entry writes every field of fuse_entry_out and fuse_attr at its Layout offset', (t) => {
  const bytes = encode.entry({ nodeid: valueOf(3, 8), generation: valueOf(4, 8), entryValidMs: 3125, attrValidMs: 2375, attr });
  t.is(bytes.length, Layout.fuse_entry_out.size);
  t.deepEqual(fieldsOf(t, 'fuse_entry_out', bytes), { nodeid: valueOf(3, 8), generation: valueOf(4, 8), entry_valid: 3, attr_valid: 2, entry_valid_nsec: 125_000_000, attr_valid_nsec: 375_000_000 });
  t.deepEqual(fieldsOf(t, 'fuse_attr', bytes, Layout.fuse_entry_out.fields[6][1]), attrFields);
});

test('encode.attr writes every field of fuse_attr_out at its Layout offset', (t) => {
  const bytes = encode.attr({ attrValidMs: 2375, attr });
  t.is(bytes.length, Layout.fuse_attr_out.size);
  t.deepEqual(fieldsOf(t, 'fuse_attr_out', bytes), { attr_valid: 2, attr_valid_nsec: 375_000_000, dummy: 0 });
  t.deepEqual(fieldsOf(t, 'fuse_attr', bytes, Layout.fuse_attr_out.fields[3][1]), attrFields);
});

test('encode.init writes every field of fuse_init_out at its Layout offset', (t) => {
  const o = { major: 7, minor: 38, maxReadahead: valueOf(3, 4), flags: valueOf(4, 4), maxBackground: valueOf(5, 2), congestionThreshold: valueOf(6, 2), maxWrite: valueOf(7, 4), timeGran: valueOf(8, 4), maxPages: valueOf(9, 2) };
  const bytes = encode.init(o);
  t.is(bytes.length, Layout.fuse_init_out.size);
  t.deepEqual(fieldsOf(t, 'fuse_init_out', bytes), {
    major: 7, minor: 38, max_readahead: o.maxReadahead, flags: o.flags, max_background: o.maxBackground,
    congestion_threshold: o.congestionThreshold, max_write: o.maxWrite, time_gran: o.timeGran, max_pages: o.maxPages, map_alignment: 0, flags2: 0,
  });
});

test('encode.init and encode.open write the 7.40 passthrough fields at their LayoutSince40 offsets', (t) => {
  const init = encode.init({ major: 7, minor: 38, maxReadahead: 0, flags: 0, maxBackground: 0, congestionThreshold: 0, maxWrite: 0, timeGran: 0, maxPages: 0, flags2: valueOf(1, 4), maxStackDepth: valueOf(2, 4) });
  const at = (struct: keyof typeof LayoutSince40, field: string) => LayoutSince40[struct].fields.find(([f]) => f === field)![1];
  t.is(init.readUInt32LE(at('fuse_init_out', 'flags2')), valueOf(1, 4));
  t.is(init.readUInt32LE(at('fuse_init_out', 'max_stack_depth')), valueOf(2, 4));
  const open = encode.open({ fh: 1, openFlags: 0, backingId: 0x7123_4567 });
  t.is(open.length, LayoutSince40.fuse_open_out.size);
  t.is(open.readInt32LE(at('fuse_open_out', 'backing_id')), 0x7123_4567);
});

test('encode.statfs writes every field of fuse_kstatfs at its Layout offset', (t) => {
  const s = { blocks: valueOf(1, 8), bfree: valueOf(2, 8), bavail: valueOf(3, 8), files: valueOf(4, 8), ffree: valueOf(5, 8), bsize: valueOf(6, 4), namelen: valueOf(7, 4), frsize: valueOf(8, 4) };
  const bytes = encode.statfs(s);
  t.is(bytes.length, Layout.fuse_statfs_out.size);
  t.deepEqual(fieldsOf(t, 'fuse_kstatfs', bytes), { ...s, padding: 0 });
});

test('encode.open, write, poll, xattrSize, ioctl write their structs at the Layout offsets', (t) => {
  t.deepEqual(fieldsOf(t, 'fuse_open_out', encode.open({ fh: valueOf(1, 8), openFlags: valueOf(2, 4) })), { fh: valueOf(1, 8), open_flags: valueOf(2, 4), padding: 0 });
  t.deepEqual(fieldsOf(t, 'fuse_write_out', encode.write(valueOf(1, 4))), { size: valueOf(1, 4), padding: 0 });
  t.deepEqual(fieldsOf(t, 'fuse_poll_out', encode.poll(valueOf(1, 4))), { revents: valueOf(1, 4), padding: 0 });
  t.deepEqual(fieldsOf(t, 'fuse_getxattr_out', encode.xattrSize(valueOf(1, 4))), { size: valueOf(1, 4), padding: 0 });
  t.deepEqual(fieldsOf(t, 'fuse_ioctl_out', encode.ioctl({ result: valueOf(1, 4) })), { result: valueOf(1, 4), flags: 0, in_iovs: 0, out_iovs: 0 });
});

test('DirentList and the notifications write their structs at the Layout offsets', (t) => {
  const list = new DirentList(4096);
  list.add(valueOf(1, 8), valueOf(2, 8), 8, 'x');
  t.deepEqual(fieldsOf(t, 'fuse_dirent', list.done()), { ino: valueOf(1, 8), off: valueOf(2, 8), namelen: 1, type: 8 });
  const out = Layout.fuse_out_header.size;
  t.deepEqual(fieldsOf(t, 'fuse_notify_poll_wakeup_out', notify.pollWakeup(valueOf(1, 8)), out), { kh: valueOf(1, 8) });
  t.deepEqual(fieldsOf(t, 'fuse_notify_inval_inode_out', notify.invalInode(valueOf(1, 8), valueOf(2, 8), valueOf(3, 8)), out), { ino: valueOf(1, 8), off: valueOf(2, 8), len: valueOf(3, 8) });
  t.deepEqual(fieldsOf(t, 'fuse_notify_inval_entry_out', notify.invalEntry(valueOf(1, 8), 'ab'), out), { parent: valueOf(1, 8), namelen: 2, flags: 0 });
});

/** How far each decoder reads its struct unconditionally (INIT's flags2 is optional, unused[] never read). */
const readsUpTo: Partial<Record<keyof typeof decode, string>> = { init: 'flags', setxattr: 'flags' };

test('a body cut before any field is refused naming that field, its width and offset', (t) => {
  const cases: [keyof typeof decode, StructName][] = [
    ...decoders.map(([d, s]): [keyof typeof decode, StructName] => [d, s]),
    ['write', 'fuse_write_in'], ['setxattr', 'fuse_setxattr_in'], ['batchForget', 'fuse_batch_forget_in'],
  ];
  for (const [decoder, struct] of cases) {
    for (const [name, offset, width] of Layout[struct].fields as StructLayout['fields']) {
      const body = Buffer.alloc(offset);
      const e = t.throws(() => (decode[decoder] as (r: ByteReader) => unknown)(new ByteReader(body)), { instanceOf: DecodeError }, `${decoder} cut at ${name}`);
      t.is(e?.message, `short request: ${name} needs ${width} bytes at offset ${offset}, 0 left`, `${decoder} cut at ${name}`);
      if (readsUpTo[decoder] === name) break;
    }
  }
});

test('a name without its NUL is refused naming which name', (t) => {
  const newdir = Buffer.alloc(8);
  const r2 = Buffer.alloc(16);
  const cases: [keyof typeof decode, Buffer, string][] = [
    ['rename', Buffer.concat([newdir, Buffer.from('a')]), 'oldname'],
    ['rename', Buffer.concat([newdir, cstr('a'), Buffer.from('b')]), 'newname'],
    ['rename2', Buffer.concat([r2, Buffer.from('a')]), 'oldname'],
    ['rename2', Buffer.concat([r2, cstr('a'), Buffer.from('b')]), 'newname'],
    ['mknod', Buffer.concat([Buffer.alloc(16), Buffer.from('n')]), 'name'],
    ['mkdir', Buffer.concat([Buffer.alloc(8), Buffer.from('d')]), 'name'],
    ['create', Buffer.concat([Buffer.alloc(16), Buffer.from('c')]), 'name'],
    ['getxattr', Buffer.concat([Buffer.alloc(8), Buffer.from('x')]), 'name'],
    ['setxattr', Buffer.concat([Buffer.alloc(8), Buffer.from('x')]), 'name'],
  ];
  for (const [decoder, body, what] of cases) {
    t.throws(() => (decode[decoder] as (r: ByteReader) => unknown)(new ByteReader(body)), { instanceOf: DecodeError, message: `${what} is not NUL-terminated` }, `${decoder} ${what}`);
  }
});

test('SETXATTR whose value is shorter than its size, and BATCH_FORGET past its entries, name what is missing', (t) => {
  const sx = Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), cstr('u.x'), Buffer.from('abc')]);
  t.throws(() => decode.setxattr(new ByteReader(sx)), { instanceOf: DecodeError, message: 'short request: value needs 5 bytes at offset 12, 3 left' });
  const bf = Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.alloc(16)]);
  t.throws(() => decode.batchForget(new ByteReader(bf)), { instanceOf: DecodeError, message: 'BATCH_FORGET says 2 entries, has room for 1' });
  const u64 = Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0, 0, 0, 0, 0, 0, 0x20, 0]), Buffer.alloc(8)]);
  t.throws(() => decode.batchForget(new ByteReader(u64)), { instanceOf: DecodeError, message: 'nodeid does not fit 53 bits' });
  const big = Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), Buffer.alloc(8), Buffer.from([0, 0, 0, 0, 0, 0, 0x20, 0])]);
  t.throws(() => decode.batchForget(new ByteReader(big)), { instanceOf: DecodeError, message: 'nlookup does not fit 53 bits' });
});
