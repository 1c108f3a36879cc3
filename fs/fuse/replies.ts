/**
 * Encoders for reply bodies and notifications: pure functions to bytes, layouts of linux/fuse.h 7.38.
 * The out header (fuse_out_header) is added by encodeReply / encodeError / encodeNotify, the only
 * places where an errno is negated.
 */
import { ByteWriter } from './bytes.js';
import { NotifyCode, Size } from './abi.js';

/** Attributes as ipcfs keeps them; times are milliseconds since the epoch. */
export interface Attr {
  ino: number;
  size: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  rdev?: number;
  blksize?: number;
}

/** A cache lifetime in milliseconds, split into the kernel's seconds + nanoseconds. */
function sec(ms: number): number {
  return Math.floor(ms / 1000);
}
function nsec(ms: number): number {
  return Math.round((ms % 1000) * 1e6);
}

/** struct fuse_attr */
function writeAttr(w: ByteWriter, a: Attr): void {
  w.u64(a.ino)
    .u64(a.size)
    .u64(Math.ceil(a.size / 512)) // blocks
    .u64(sec(a.atimeMs))
    .u64(sec(a.mtimeMs))
    .u64(sec(a.ctimeMs))
    .u32(nsec(a.atimeMs))
    .u32(nsec(a.mtimeMs))
    .u32(nsec(a.ctimeMs))
    .u32(a.mode)
    .u32(a.nlink)
    .u32(a.uid)
    .u32(a.gid)
    .u32(a.rdev ?? 0)
    .u32(a.blksize ?? 4096)
    .u32(0); // flags
}

export interface EntryOut {
  nodeid: number;
  generation: number;
  /** How long the kernel may cache the name -> nodeid binding (ms); 0 = ask again on every walk. */
  entryValidMs: number;
  attrValidMs: number;
  attr: Attr;
}

export interface AttrOut {
  attrValidMs: number;
  attr: Attr;
}

export interface OpenOut {
  fh: number;
  /** FOPEN_* flags */
  openFlags: number;
  /**
   * With FOPEN_PASSTHROUGH: the backing file's id from FUSE_DEV_IOC_BACKING_OPEN (7.40
   * backing_id, the 7.38 header's padding); 0 otherwise.
   */
  backingId?: number;
}

export interface InitOut {
  major: number;
  minor: number;
  maxReadahead: number;
  flags: number;
  maxBackground: number;
  congestionThreshold: number;
  maxWrite: number;
  timeGran: number;
  maxPages: number;
  /** fuse_init_out.flags2 (bits 32..63; only read by the kernel with FUSE_INIT_EXT in flags). */
  flags2?: number;
  /** 7.40 max_stack_depth (the 7.38 header's unused[0]): non-zero with FUSE_PASSTHROUGH. */
  maxStackDepth?: number;
}

export interface StatfsOut {
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  bsize: number;
  namelen: number;
  frsize: number;
}

/** A restricted ioctl's answer: its return value and the bytes copied out to the caller's argument. */
export interface IoctlOut {
  result: number;
  data?: Buffer;
}

export const encode = {
  empty(): Buffer {
    return Buffer.alloc(0);
  },
  /** struct fuse_entry_out (also the reply to MKNOD, MKDIR, SYMLINK, LINK). */
  entry(e: EntryOut): Buffer {
    const w = new ByteWriter(Size.entryOut);
    w.u64(e.nodeid).u64(e.generation).u64(sec(e.entryValidMs)).u64(sec(e.attrValidMs));
    w.u32(nsec(e.entryValidMs)).u32(nsec(e.attrValidMs));
    writeAttr(w, e.attr);
    return w.done();
  },
  /** struct fuse_attr_out (GETATTR, SETATTR). */
  attr(a: AttrOut): Buffer {
    const w = new ByteWriter(Size.attrOut);
    w.u64(sec(a.attrValidMs)).u32(nsec(a.attrValidMs)).u32(0);
    writeAttr(w, a.attr);
    return w.done();
  },
  /** struct fuse_open_out (OPEN, OPENDIR). */
  open(o: OpenOut): Buffer {
    return new ByteWriter(Size.openOut).u64(o.fh).u32(o.openFlags).i32(o.backingId ?? 0).done();
  },
  /** fuse_entry_out followed by fuse_open_out (CREATE). */
  create(c: { entry: EntryOut; open: OpenOut }): Buffer {
    return Buffer.concat([encode.entry(c.entry), encode.open(c.open)]);
  },
  /** struct fuse_write_out */
  write(size: number): Buffer {
    // Every write's reply: two plain writes into a pooled buffer, no zero-filled allocation.
    const b = Buffer.allocUnsafe(Size.writeOut);
    b.writeUInt32LE(size, 0);
    b.writeUInt32LE(0, 4); // padding
    return b;
  },
  /** struct fuse_init_out (64 bytes from 7.23). */
  init(o: InitOut): Buffer {
    const w = new ByteWriter(Size.initOut);
    w.u32(o.major).u32(o.minor).u32(o.maxReadahead).u32(o.flags);
    w.u16(o.maxBackground).u16(o.congestionThreshold).u32(o.maxWrite).u32(o.timeGran);
    w.u16(o.maxPages).u16(0); // map_alignment
    w.u32(o.flags2 ?? 0);
    w.u32(o.maxStackDepth ?? 0); // 7.40 max_stack_depth (7.38: unused[0])
    w.zero(24); // the rest of unused[]
    return w.done();
  },
  /** struct fuse_statfs_out */
  statfs(s: StatfsOut): Buffer {
    const w = new ByteWriter(Size.statfsOut);
    w.u64(s.blocks).u64(s.bfree).u64(s.bavail).u64(s.files).u64(s.ffree);
    w.u32(s.bsize).u32(s.namelen).u32(s.frsize).u32(0);
    w.zero(24); // spare[6]
    return w.done();
  },
  /** struct fuse_poll_out */
  poll(revents: number): Buffer {
    return new ByteWriter(Size.pollOut).u32(revents).u32(0).done();
  },
  /** struct fuse_ioctl_out followed by the out data. */
  ioctl(o: IoctlOut): Buffer {
    const head = new ByteWriter(Size.ioctlOut).i32(o.result).u32(0).u32(0).u32(0).done();
    return o.data ? Buffer.concat([head, o.data]) : head;
  },
  /** struct fuse_getxattr_out: the size a GETXATTR/LISTXATTR with size 0 asks for. */
  xattrSize(size: number): Buffer {
    return new ByteWriter(Size.getxattrOut).u32(size).u32(0).done();
  },
};

/** A READDIR reply: whole fuse_dirent records, each padded to 8 bytes, never more than maxSize. */
export class DirentList {
  private readonly parts: Buffer[] = [];
  private used = 0;
  constructor(private readonly maxSize: number) {}

  /** Adds one entry; false (and nothing added) when it would not fit. off = the cookie of the next entry. */
  add(ino: number, off: number, type: number, name: string): boolean {
    const nameBytes = Buffer.from(name, 'utf8');
    const size = (Size.dirent + nameBytes.length + 7) & ~7;
    if (this.used + size > this.maxSize) return false;
    const w = new ByteWriter(size);
    w.u64(ino).u64(off).u32(nameBytes.length).u32(type).bytes(nameBytes);
    this.parts.push(w.buf);
    this.used += size;
    return true;
  }
  done(): Buffer {
    return Buffer.concat(this.parts, this.used);
  }
}

/** fuse_out_header + body. */
export function encodeReply(unique: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(Size.outHeader + body.length);
  out.writeUInt32LE(out.length, 0);
  out.writeInt32LE(0, 4);
  writeU64(out, 8, unique);
  body.copy(out, Size.outHeader);
  return out;
}

/** fuse_out_header alone, with error = -errno: the one place an errno is negated. */
export function encodeError(unique: number, errno: number): Buffer {
  const out = Buffer.allocUnsafe(Size.outHeader);
  out.writeUInt32LE(Size.outHeader, 0);
  out.writeInt32LE(-errno, 4);
  writeU64(out, 8, unique);
  return out;
}

/** A notification: unique 0, error = the notify code, then the notify struct. */
function encodeNotify(code: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(Size.outHeader + body.length);
  out.writeUInt32LE(out.length, 0);
  out.writeInt32LE(code, 4);
  writeU64(out, 8, 0);
  body.copy(out, Size.outHeader);
  return out;
}

function writeU64(buf: Buffer, at: number, v: number): void {
  buf.writeUInt32LE(v % 2 ** 32, at);
  buf.writeUInt32LE(Math.floor(v / 2 ** 32), at + 4);
}

export const notify = {
  /** FUSE_NOTIFY_POLL: wake the poll()ers of the file whose POLL carried this kh. */
  pollWakeup(kh: number): Buffer {
    return encodeNotify(NotifyCode.POLL, new ByteWriter(Size.notifyPollWakeup).u64(kh).done());
  },
  /** FUSE_NOTIFY_INVAL_INODE: drop cached attributes (and data in [off, off+len), len < 0 = all). */
  invalInode(nodeid: number, off = 0, len = -1): Buffer {
    return encodeNotify(NotifyCode.INVAL_INODE, new ByteWriter(Size.notifyInvalInode).u64(nodeid).i64(off).i64(len).done());
  },
  /** FUSE_NOTIFY_INVAL_ENTRY: drop the dentry parent/name. */
  invalEntry(parent: number, name: string): Buffer {
    const nameBytes = Buffer.from(name, 'utf8');
    const w = new ByteWriter(Size.notifyInvalEntry + nameBytes.length + 1);
    w.u64(parent).u32(nameBytes.length).u32(0).bytes(nameBytes).zero(1);
    return encodeNotify(NotifyCode.INVAL_ENTRY, w.done());
  },
};
