/**
 * The opcode table: for each opcode ipcfs answers, how its body is decoded, which handler runs it,
 * how the handler's result is encoded, and what the caller gets when the filesystem does not
 * implement it. The session dispatches through this table only.
 *
 * INIT, DESTROY, INTERRUPT, FORGET and BATCH_FORGET belong to the session itself (see session.ts).
 */
import type { Logger } from 'pino';
import { Opcode } from './abi.js';
import type { ByteReader } from './bytes.js';
import { Errno } from './errno.js';
import type {
  AccessIn, CreateIn, Empty, FlushIn, FsyncIn, GetattrIn, GetxattrIn, IoctlIn, ListxattrIn, MkdirIn, MknodIn,
  LinkIn, NameIn, OpenIn, PollIn, ReadIn, ReleaseIn, RenameIn, SetattrIn, SetxattrIn, SymlinkIn, WriteIn,
} from './requests.js';
import { decode } from './requests.js';
import type { AttrOut, EntryOut, IoctlOut, OpenOut, StatfsOut } from './replies.js';
import { encode } from './replies.js';

/**
 * Who made a request. pid is the header's pid: the calling *thread's* id, 0 when the kernel itself
 * sends the request (e.g. a RELEASE after the process is gone). tgid is the process id and groups
 * the supplementary groups, both read from /proc on first use only; groups is null when /proc cannot
 * tell them (permission checks then grant only what holds whether or not the caller is in a group).
 */
export interface Caller {
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  readonly tgid: number;
  /** Supplementary groups (from /proc, read on first use only). */
  readonly groups: readonly number[] | null;
}

/** What a handler receives. signal aborts when the kernel INTERRUPTs the request or the session ends. */
export interface FuseRequest<A> {
  readonly unique: number;
  readonly nodeid: number;
  readonly opcode: number;
  readonly caller: Caller;
  readonly args: A;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

type Result<R> = R | Promise<R>;
type H<A, R> = (req: FuseRequest<A>) => Result<R>;

/** The replies the session can send for an xattr query: the size needed (size-0 probe) or the bytes. */
export type XattrReply = { size: number } | Buffer;

/** What the filesystem implements; anything absent is answered with the table's `missing` errno. */
export interface FuseOperations {
  init?(info: ConnectionInfo): void;
  destroy?(): void;
  forget?(nodeid: number, nlookup: number): void;
  lookup?: H<NameIn, EntryOut>;
  getattr?: H<GetattrIn, AttrOut>;
  setattr?: H<SetattrIn, AttrOut>;
  readlink?: H<Empty, string>;
  symlink?: H<SymlinkIn, EntryOut>;
  link?: H<LinkIn, EntryOut>;
  mknod?: H<MknodIn, EntryOut>;
  mkdir?: H<MkdirIn, EntryOut>;
  unlink?: H<NameIn, void>;
  rmdir?: H<NameIn, void>;
  rename?: H<RenameIn, void>;
  open?: H<OpenIn, OpenOut>;
  read?: H<ReadIn, Buffer>;
  write?: H<WriteIn, number>;
  statfs?: H<Empty, StatfsOut>;
  release?: H<ReleaseIn, void>;
  fsync?: H<FsyncIn, void>;
  setxattr?: H<SetxattrIn, void>;
  getxattr?: H<GetxattrIn, XattrReply>;
  listxattr?: H<ListxattrIn, XattrReply>;
  removexattr?: H<NameIn, void>;
  flush?: H<FlushIn, void>;
  opendir?: H<OpenIn, OpenOut>;
  readdir?: H<ReadIn, Buffer>;
  releasedir?: H<ReleaseIn, void>;
  fsyncdir?: H<FsyncIn, void>;
  access?: H<AccessIn, void>;
  create?: H<CreateIn, { entry: EntryOut; open: OpenOut }>;
  ioctl?: H<IoctlIn, IoctlOut>;
  poll?: H<PollIn, number>;
}

export type HandlerName = Exclude<keyof FuseOperations, 'init' | 'destroy' | 'forget'>;

/** What INIT settled, handed to FuseOperations.init. */
export interface ConnectionInfo {
  major: number;
  minor: number;
  flags: number;
  maxWrite: number;
  /**
   * FUSE_PASSTHROUGH was offered by the kernel and accepted: opens may name a backing file
   * (fs/fuse/backing.ts). Present only when the session asked for it.
   */
  passthrough?: boolean;
}

export interface OpSpec {
  opcode: number;
  name: HandlerName;
  decode: (r: ByteReader) => unknown;
  encode: (result: never, args: never) => Buffer;
  /** errno for the caller when the filesystem has no handler. */
  missing: number;
}

function op<K extends HandlerName, A, R>(
  opcode: number,
  name: K,
  dec: (r: ByteReader) => A,
  enc: (result: R, args: A) => Buffer,
  missing: number = Errno.ENOSYS,
): OpSpec {
  return { opcode, name, decode: dec, encode: enc as OpSpec['encode'], missing };
}

const none = (): Buffer => encode.empty();
const bytes = (b: Buffer): Buffer => b;
const xattr = (r: XattrReply): Buffer => (Buffer.isBuffer(r) ? r : encode.xattrSize(r.size));

/**
 * ENOSYS is itself an answer: for most opcodes the kernel then stops sending them and tells callers
 * EOPNOTSUPP (xattrs) or does the work locally (FLUSH, FSYNC, ACCESS, POLL -> "always ready").
 */
export const OPS: ReadonlyMap<number, OpSpec> = new Map(
  [
    op(Opcode.LOOKUP, 'lookup', decode.name, encode.entry, Errno.ENOENT),
    op(Opcode.GETATTR, 'getattr', decode.getattr, encode.attr),
    op(Opcode.SETATTR, 'setattr', decode.setattr, encode.attr, Errno.EPERM),
    op(Opcode.READLINK, 'readlink', decode.empty, (s: string) => Buffer.from(s, 'utf8'), Errno.EINVAL),
    op(Opcode.SYMLINK, 'symlink', decode.symlink, encode.entry, Errno.EPERM),
    op(Opcode.LINK, 'link', decode.link, encode.entry, Errno.EPERM),
    op(Opcode.MKNOD, 'mknod', decode.mknod, encode.entry, Errno.EPERM),
    op(Opcode.MKDIR, 'mkdir', decode.mkdir, encode.entry, Errno.EPERM),
    op(Opcode.UNLINK, 'unlink', decode.name, none, Errno.EPERM),
    op(Opcode.RMDIR, 'rmdir', decode.name, none, Errno.EPERM),
    op(Opcode.RENAME, 'rename', decode.rename, none, Errno.EPERM),
    op(Opcode.RENAME2, 'rename', decode.rename2, none, Errno.EPERM),
    op(Opcode.OPEN, 'open', decode.open, encode.open),
    op(Opcode.READ, 'read', decode.read, bytes, Errno.EINVAL),
    op(Opcode.WRITE, 'write', decode.write, encode.write, Errno.EINVAL),
    op(Opcode.STATFS, 'statfs', decode.empty, encode.statfs),
    op(Opcode.RELEASE, 'release', decode.release, none),
    op(Opcode.FSYNC, 'fsync', decode.fsync, none),
    op(Opcode.SETXATTR, 'setxattr', decode.setxattr, none),
    op(Opcode.GETXATTR, 'getxattr', decode.getxattr, xattr),
    op(Opcode.LISTXATTR, 'listxattr', decode.listxattr, xattr),
    op(Opcode.REMOVEXATTR, 'removexattr', decode.name, none),
    op(Opcode.FLUSH, 'flush', decode.flush, none),
    op(Opcode.OPENDIR, 'opendir', decode.open, encode.open),
    op(Opcode.READDIR, 'readdir', decode.read, bytes, Errno.EINVAL),
    op(Opcode.RELEASEDIR, 'releasedir', decode.release, none),
    op(Opcode.FSYNCDIR, 'fsyncdir', decode.fsync, none),
    op(Opcode.ACCESS, 'access', decode.access, none),
    op(Opcode.CREATE, 'create', decode.create, encode.create),
    op(Opcode.IOCTL, 'ioctl', decode.ioctl, encode.ioctl, Errno.ENOTTY),
    op(Opcode.POLL, 'poll', decode.poll, encode.poll),
  ].map((s) => [s.opcode, s]),
);

/** Names of all opcodes, for logs. */
export const OPCODE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(Opcode).map(([name, code]) => [code, name]),
);
