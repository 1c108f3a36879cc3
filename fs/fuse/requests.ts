/**
 * Decoders for the requests ipcfs handles: pure functions from the bytes after fuse_in_header to a
 * typed object. Layouts are those of linux/fuse.h 7.38; every read is bounds-checked (ByteReader).
 */
import { ByteReader } from './bytes.js';
import { DecodeError } from './errno.js';
import { Size } from './abi.js';

/** struct fuse_in_header. pid is the calling thread's id (a tid), 0 for kernel-internal requests. */
export interface InHeader {
  len: number;
  opcode: number;
  unique: number;
  nodeid: number;
  uid: number;
  gid: number;
  pid: number;
  totalExtlen: number;
}

export function decodeInHeader(buf: Buffer): InHeader {
  // One bounds check for the fixed-size header, then plain reads: every request passes here.
  if (buf.length < Size.inHeader) throw new DecodeError(`request of ${buf.length} bytes is shorter than fuse_in_header`);
  const h: InHeader = {
    len: buf.readUInt32LE(0),
    opcode: buf.readUInt32LE(4),
    unique: u64At(buf, 8, 'unique'),
    nodeid: u64At(buf, 16, 'nodeid'),
    uid: buf.readUInt32LE(24),
    gid: buf.readUInt32LE(28),
    pid: buf.readUInt32LE(32),
    totalExtlen: buf.readUInt16LE(36),
  };
  if (h.len !== buf.length) throw new DecodeError(`header says ${h.len} bytes, read returned ${buf.length}`);
  return h;
}

/** A u64 at a checked offset that must fit a JS number (ByteReader.u64's rule). */
function u64At(buf: Buffer, at: number, what: string): number {
  const hi = buf.readUInt32LE(at + 4);
  if (hi >= 0x200000) throw new DecodeError(`${what} does not fit 53 bits`);
  return hi * 2 ** 32 + buf.readUInt32LE(at);
}

export interface InitIn { major: number; minor: number; maxReadahead: number; flags: number; flags2: number }
export interface NameIn { name: string }
export interface ForgetIn { nlookup: number }
export interface BatchForgetIn { items: { nodeid: number; nlookup: number }[] }
export interface GetattrIn { getattrFlags: number; fh: number }
export interface SetattrIn {
  valid: number; fh: number; size: number; lockOwner: bigint;
  atime: number; mtime: number; ctime: number; atimensec: number; mtimensec: number; ctimensec: number;
  mode: number; uid: number; gid: number;
}
export interface MknodIn { mode: number; rdev: number; umask: number; name: string }
export interface MkdirIn { mode: number; umask: number; name: string }
export interface RenameIn { newdir: number; flags: number; oldname: string; newname: string }
export interface SymlinkIn { name: string; target: string }
export interface LinkIn { oldnodeid: number; name: string }
export interface OpenIn { flags: number; openFlags: number }
export interface CreateIn { flags: number; mode: number; umask: number; openFlags: number; name: string }
export interface ReadIn { fh: number; offset: number; size: number; readFlags: number; lockOwner: bigint; flags: number }
export interface WriteIn { fh: number; offset: number; size: number; writeFlags: number; lockOwner: bigint; flags: number; data: Buffer }
export interface ReleaseIn { fh: number; flags: number; releaseFlags: number; lockOwner: bigint }
export interface FlushIn { fh: number; lockOwner: bigint }
export interface FsyncIn { fh: number; fsyncFlags: number }
export interface SetxattrIn { size: number; flags: number; name: string; value: Buffer }
export interface GetxattrIn { size: number; name: string }
export interface ListxattrIn { size: number }
export interface AccessIn { mask: number }
export interface InterruptIn { unique: number }
export interface IoctlIn { fh: number; flags: number; cmd: number; arg: bigint; inSize: number; outSize: number; data: Buffer }
export interface PollIn { fh: number; kh: number; flags: number; events: number }
export type Empty = Record<string, never>;

const EMPTY: Empty = Object.freeze({}) as Empty;

/**
 * File names are bytes on Linux; ipcfs stores names as text, so only UTF-8 names can name an
 * object. A name that is not valid UTF-8 (overlong forms like c0 80 included) decodes to NUL
 * followed by its bytes as latin1: no stored name contains NUL, so it can never collide with
 * another name (a lossy decode would make ff fe and c0 80 both U+FFFD U+FFFD); lookups answer
 * ENOENT and creates EINVAL (see undecodable). The log still shows the bytes.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UNDECODABLE = '\0';

function fileName(r: ByteReader, what = 'name'): string {
  const raw = r.cbytes(what);
  try {
    return utf8.decode(raw);
  } catch {
    return UNDECODABLE + raw.toString('latin1');
  }
}

/** True for a name whose bytes are not UTF-8 (see fileName). */
export function undecodable(name: string): boolean {
  return name.startsWith(UNDECODABLE);
}

const MAX_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A file offset: the kernel passes any u64 (loff_t up to 2^63-1; pwrite at 2^63-10 is legal).
 * Offsets past 2^53-1 are past the end of everything ipcfs serves, so they clamp to
 * Number.MAX_SAFE_INTEGER: reads there are at end of file, and writes ignore offsets anyway.
 */
function offset(r: ByteReader, what = 'offset'): number {
  const v = r.u64big(what);
  return v > MAX_OFFSET ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** Seconds since the epoch as the kernel sends them in fuse_setattr_in: a signed 64-bit value. */
function seconds(r: ByteReader, what: string): number {
  return Number(BigInt.asIntN(64, r.u64big(what)));
}

export const decode = {
  empty(): Empty {
    return EMPTY;
  },
  init(r: ByteReader): InitIn {
    const major = r.u32('major');
    const minor = r.u32('minor');
    const maxReadahead = r.u32('max_readahead');
    const flags = r.u32('flags');
    // flags2 exists from 7.36 (FUSE_INIT_EXT); older kernels send 16 bytes.
    const flags2 = r.remaining >= 4 ? r.u32('flags2') : 0;
    return { major, minor, maxReadahead, flags, flags2 };
  },
  name(r: ByteReader): NameIn {
    return { name: fileName(r) };
  },
  forget(r: ByteReader): ForgetIn {
    return { nlookup: r.u64('nlookup') };
  },
  batchForget(r: ByteReader): BatchForgetIn {
    const count = r.u32('count');
    r.u32('dummy');
    if (count * 16 > r.remaining) throw new DecodeError(`BATCH_FORGET says ${count} entries, has room for ${r.remaining / 16}`);
    const items = [];
    for (let i = 0; i < count; i++) items.push({ nodeid: r.u64('nodeid'), nlookup: r.u64('nlookup') });
    return { items };
  },
  getattr(r: ByteReader): GetattrIn {
    const getattrFlags = r.u32('getattr_flags');
    r.u32('dummy');
    return { getattrFlags, fh: r.u64('fh') };
  },
  setattr(r: ByteReader): SetattrIn {
    const valid = r.u32('valid');
    r.u32('padding');
    const fh = r.u64('fh');
    const size = offset(r, 'size');
    const lockOwner = r.u64big('lock_owner');
    const atime = seconds(r, 'atime');
    const mtime = seconds(r, 'mtime');
    const ctime = seconds(r, 'ctime');
    const atimensec = r.u32('atimensec');
    const mtimensec = r.u32('mtimensec');
    const ctimensec = r.u32('ctimensec');
    const mode = r.u32('mode');
    r.u32('unused4');
    const uid = r.u32('uid');
    const gid = r.u32('gid');
    r.u32('unused5');
    return { valid, fh, size, lockOwner, atime, mtime, ctime, atimensec, mtimensec, ctimensec, mode, uid, gid };
  },
  mknod(r: ByteReader): MknodIn {
    const mode = r.u32('mode');
    const rdev = r.u32('rdev');
    const umask = r.u32('umask');
    r.u32('padding');
    return { mode, rdev, umask, name: fileName(r) };
  },
  mkdir(r: ByteReader): MkdirIn {
    const mode = r.u32('mode');
    const umask = r.u32('umask');
    return { mode, umask, name: fileName(r) };
  },
  rename(r: ByteReader): RenameIn {
    const newdir = r.u64('newdir');
    return { newdir, flags: 0, oldname: fileName(r, 'oldname'), newname: fileName(r, 'newname') };
  },
  rename2(r: ByteReader): RenameIn {
    const newdir = r.u64('newdir');
    const flags = r.u32('flags');
    r.u32('padding');
    return { newdir, flags, oldname: fileName(r, 'oldname'), newname: fileName(r, 'newname') };
  },
  open(r: ByteReader): OpenIn {
    return { flags: r.u32('flags'), openFlags: r.u32('open_flags') };
  },
  create(r: ByteReader): CreateIn {
    const flags = r.u32('flags');
    const mode = r.u32('mode');
    const umask = r.u32('umask');
    const openFlags = r.u32('open_flags');
    return { flags, mode, umask, openFlags, name: fileName(r) };
  },
  /** FUSE_SYMLINK: the new entry's name, then the target, each NUL-terminated. */
  symlink(r: ByteReader): SymlinkIn {
    const name = fileName(r);
    return { name, target: fileName(r, 'target') };
  },
  link(r: ByteReader): LinkIn {
    const oldnodeid = r.u64('oldnodeid');
    return { oldnodeid, name: fileName(r) };
  },
  read(r: ByteReader): ReadIn {
    const fh = r.u64('fh');
    const off = offset(r);
    const size = r.u32('size');
    const readFlags = r.u32('read_flags');
    const lockOwner = r.u64big('lock_owner');
    const flags = r.u32('flags');
    r.u32('padding');
    return { fh, offset: off, size, readFlags, lockOwner, flags };
  },
  write(r: ByteReader): WriteIn {
    const fh = r.u64('fh');
    const off = offset(r);
    const size = r.u32('size');
    const writeFlags = r.u32('write_flags');
    const lockOwner = r.u64big('lock_owner');
    const flags = r.u32('flags');
    r.u32('padding');
    if (size !== r.remaining) throw new DecodeError(`WRITE says ${size} bytes, carries ${r.remaining}`);
    return { fh, offset: off, size, writeFlags, lockOwner, flags, data: r.rest() };
  },
  release(r: ByteReader): ReleaseIn {
    const fh = r.u64('fh');
    const flags = r.u32('flags');
    const releaseFlags = r.u32('release_flags');
    return { fh, flags, releaseFlags, lockOwner: r.u64big('lock_owner') };
  },
  flush(r: ByteReader): FlushIn {
    const fh = r.u64('fh');
    r.u32('unused');
    r.u32('padding');
    return { fh, lockOwner: r.u64big('lock_owner') };
  },
  fsync(r: ByteReader): FsyncIn {
    const fh = r.u64('fh');
    const fsyncFlags = r.u32('fsync_flags');
    r.u32('padding');
    return { fh, fsyncFlags };
  },
  /** Without FUSE_SETXATTR_EXT (never negotiated) the struct is the 8-byte compat one. */
  setxattr(r: ByteReader): SetxattrIn {
    const size = r.u32('size');
    const flags = r.u32('flags');
    const name = r.cstring();
    return { size, flags, name, value: r.bytes(size, 'value') };
  },
  getxattr(r: ByteReader): GetxattrIn {
    const size = r.u32('size');
    r.u32('padding');
    return { size, name: r.cstring() };
  },
  listxattr(r: ByteReader): ListxattrIn {
    const size = r.u32('size');
    r.u32('padding');
    return { size };
  },
  access(r: ByteReader): AccessIn {
    const mask = r.u32('mask');
    r.u32('padding');
    return { mask };
  },
  interrupt(r: ByteReader): InterruptIn {
    return { unique: r.u64('unique') };
  },
  ioctl(r: ByteReader): IoctlIn {
    const fh = r.u64('fh');
    const flags = r.u32('flags');
    const cmd = r.u32('cmd');
    const arg = r.u64big('arg');
    const inSize = r.u32('in_size');
    const outSize = r.u32('out_size');
    return { fh, flags, cmd, arg, inSize, outSize, data: r.rest() };
  },
  poll(r: ByteReader): PollIn {
    const fh = r.u64('fh');
    const kh = r.u64('kh');
    const flags = r.u32('flags');
    const events = r.u32('events');
    return { fh, kh, flags, events };
  },
};
