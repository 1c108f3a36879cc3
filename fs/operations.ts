/**
 * FUSE requests onto the tree (fs/tree): each handler checks what Linux checks, calls the tree,
 * and answers. What FUSE needs and the tree must not know lives in tables (fs/tables): node ids
 * and their lookup counts (node-ids.ts: a fresh node id per LOOKUP for files, and why), open files
 * with their poll handles (open-files.ts), directory streams (dir-streams.ts). Open files and
 * directories are charged here to the opener's uid, before anything is opened, and the tables
 * give the charges back at RELEASE.
 *
 * Files are answered with entry_valid = attr_valid = 0 (every path walk looks them up again, so
 * each open gets the node id node-ids.ts gives it, and attributes follow their object);
 * directories are cached for 1 s.
 */
import type { Logger } from 'pino';
import { DEFAULT_LIMITS, quotaFor, type IpcQuota } from '../ipc/limits.js';
import type { Charge } from '../ipc/quota.js';
import { FOPEN_PASSTHROUGH, OpenOutFlag, POLL_SCHEDULE_NOTIFY, S_IFMT, S_IFREG, SetattrValid } from './fuse/abi.js';
import type { EarlyReplies } from './fuse/early-replies.js';
import { Errno, FuseError, fail } from './fuse/errno.js';
import type { FuseOperations, FuseRequest } from './fuse/ops.js';
import type {
  AccessIn, CreateIn, Empty, FlushIn, FsyncIn, GetattrIn, LinkIn, MkdirIn, MknodIn, NameIn, OpenIn, PollIn, ReadIn,
  ReleaseIn, RenameIn, SetattrIn, SymlinkIn, WriteIn,
} from './fuse/requests.js';
import { notify, type Attr, type AttrOut, type EntryOut, type OpenOut, type StatfsOut } from './fuse/replies.js';
import type { DirNode, FileHandle, FsNode, OpenMode, StatChange } from './tree/node.js';
import { MAY_READ, MAY_WRITE, checkAccess, checkCreate, checkDelete, checkSearch, permits } from './tree/access.js';
import { undecodable } from './fuse/requests.js';
import { DirStreams } from './tables/dir-streams.js';
import { NodeIds } from './tables/node-ids.js';
import { OpenFiles } from './tables/open-files.js';

/** What a pending WRITE keeps of its data once the handle has taken it. */
const NO_BYTES = Buffer.alloc(0);

/** Sends a notification to the kernel (Session.notify). */
export type Notifier = (msg: Buffer) => number;

/** Cache lifetimes (ms): directories are stable; files' attributes change with their object. */
const DIR_ENTRY_VALID_MS = 1000;
const DIR_ATTR_VALID_MS = 1000;
const FILE_VALID_MS = 0;

/** open(2) access mode -> the permission it needs (may_open: O_TRUNC needs write too). */
const O_ACCMODE = 3;
const O_TRUNC = 0o1000;
function openMask(flags: number): number {
  const acc = flags & O_ACCMODE;
  let mask = acc === 0 ? MAY_READ : acc === 1 ? MAY_WRITE : MAY_READ | MAY_WRITE;
  if (flags & O_TRUNC) mask |= MAY_WRITE;
  return mask;
}

export interface OperationsOptions {
  /**
   * The kernel checks mode bits itself (mount option default_permissions). Without it, directory
   * entries are not cached either, so every path walk sends the LOOKUP that carries the daemon's
   * search check (a cached dentry would let a walk pass a directory it may not search).
   */
  kernelChecksPermissions?: boolean;
  /** Where open files and directory streams are charged (the one the tree's objects use). */
  quota?: IpcQuota;
}

/** poll(2) bits. */
const POLLIN = 0x1;
const POLLOUT = 0x4;
const POLLRDNORM = 0x40;
const POLLWRNORM = 0x100;
/** What the kernel assumes for a file without poll support (DEFAULT_POLLMASK). */
const ALWAYS_READY = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

export function openFlagsOf(mode: OpenMode): number {
  let f = 0;
  if (mode.directIo) f |= OpenOutFlag.DIRECT_IO;
  if (mode.nonSeekable) f |= OpenOutFlag.NONSEEKABLE;
  if (mode.stream) f |= OpenOutFlag.STREAM;
  if (mode.parallelDirectWrites) f |= OpenOutFlag.PARALLEL_DIRECT_WRITES;
  if (mode.keepCache) f |= OpenOutFlag.KEEP_CACHE;
  if (mode.noFlush) f |= OpenOutFlag.NOFLUSH;
  if (mode.backingId) f |= FOPEN_PASSTHROUGH;
  return f;
}

export class IpcfsOperations implements FuseOperations {
  private readonly nodeIds: NodeIds;
  /** fh numbers, one sequence for files and directories */
  private nextFh = 1;
  private readonly files = new OpenFiles(() => this.nextFh++, (kh) => this.notifier(notify.pollWakeup(kh)));
  private readonly dirs = new DirStreams(() => this.nextFh++);
  private notifier: Notifier = () => -Errno.ENOTCONN;

  private readonly dirEntryValidMs: number;
  readonly quota: IpcQuota;

  constructor(root: DirNode, private readonly log: Logger, options: OperationsOptions = {}) {
    this.dirEntryValidMs = options.kernelChecksPermissions === false ? 0 : DIR_ENTRY_VALID_MS;
    this.quota = options.quota ?? quotaFor(DEFAULT_LIMITS);
    this.nodeIds = new NodeIds(root);
  }

  /** Where poll wake-ups and cache invalidations go (the session, once it runs). */
  setNotifier(n: Notifier): void {
    this.notifier = n;
  }

  /** The session's early replies (fuse/early-replies.ts): handles bind their fh on OPEN. */
  setEarlyReplies(early: EarlyReplies): void {
    this.files.early = early;
  }

  /** Open file handles (for tests and the status of the daemon). */
  get openFiles(): number {
    return this.files.size;
  }
  get openDirs(): number {
    return this.dirs.size;
  }
  get knownNodes(): number {
    return this.nodeIds.size;
  }

  // ---- node ids ----

  private dir(nodeid: number): DirNode {
    const n = this.nodeIds.node(nodeid);
    if (n.kind !== 'dir') fail(Errno.ENOTDIR);
    return n;
  }

  private attrOf(node: FsNode): Attr {
    const s = node.stat();
    return { ino: node.ino, ...s };
  }

  private entry(node: FsNode): EntryOut {
    const isDir = node.kind === 'dir';
    return {
      nodeid: this.nodeIds.remember(node),
      generation: 0,
      entryValidMs: isDir ? this.dirEntryValidMs : FILE_VALID_MS,
      attrValidMs: isDir ? DIR_ATTR_VALID_MS : FILE_VALID_MS,
      attr: this.attrOf(node),
    };
  }

  /** FORGET/BATCH_FORGET (no reply): the kernel dropped nlookup references to nodeid. */
  forget(nodeid: number, nlookup: number): void {
    this.nodeIds.forget(nodeid, nlookup);
  }

  // ---- names ----

  /**
   * LOOKUP: fuse_entry_out, or ENOENT (not cached: entry_valid of a negative reply is 0); EACCES
   * without search permission on the directory. A name that is not UTF-8 names nothing (ENOENT).
   */
  lookup(req: FuseRequest<NameIn>): EntryOut {
    const dir = this.dir(req.nodeid);
    checkSearch(dir, req.caller);
    if (undecodable(req.args.name)) fail(Errno.ENOENT, 'the name is not UTF-8; no object has it');
    const child = dir.lookup(req.args.name);
    if (!child) fail(Errno.ENOENT);
    return this.entry(child);
  }

  /** GETATTR: fuse_attr_out. With GETATTR_FH the kernel names an open file; the node is the same. */
  getattr(req: FuseRequest<GetattrIn>): AttrOut {
    const node = this.nodeIds.node(req.nodeid);
    return { attrValidMs: node.kind === 'dir' ? DIR_ATTR_VALID_MS : FILE_VALID_MS, attr: this.attrOf(node) };
  }

  /**
   * SETATTR: chmod, chown, utimes, truncate. Truncation (O_TRUNC opens: without FUSE_ATOMIC_O_TRUNC
   * the kernel sends SETATTR size=0 after OPEN) goes to a file that has `truncate` (shared memory)
   * and means nothing for other IPC objects; EACCES for truncate(2) by path without write permission.
   * Mode and owner changes go to the node (EPERM if it has no rules for them). Replies fuse_attr_out.
   */
  setattr(req: FuseRequest<SetattrIn>): AttrOut {
    const node = this.nodeIds.node(req.nodeid);
    const a = req.args;
    const change: StatChange = {};
    if (a.valid & SetattrValid.MODE) change.mode = a.mode;
    if (a.valid & SetattrValid.UID) change.uid = a.uid;
    if (a.valid & SetattrValid.GID) change.gid = a.gid;
    const now = Date.now();
    if (a.valid & SetattrValid.ATIME) change.atimeMs = a.valid & SetattrValid.ATIME_NOW ? now : a.atime * 1000 + a.atimensec / 1e6;
    if (a.valid & SetattrValid.MTIME) change.mtimeMs = a.valid & SetattrValid.MTIME_NOW ? now : a.mtime * 1000 + a.mtimensec / 1e6;
    if (a.valid & SetattrValid.SIZE && node.kind === 'dir') fail(Errno.EISDIR);
    const owns = change.mode !== undefined || change.uid !== undefined || change.gid !== undefined;
    if (node.setStat) node.setStat(req, change);
    else if (owns) fail(Errno.EPERM, 'this file has fixed permissions');
    if (a.valid & SetattrValid.SIZE && node.kind === 'file' && node.truncate) {
      // truncate(2) by path needs write permission (the kernel checks it only under
      // default_permissions); ftruncate and O_TRUNC name an open file (FATTR_FH) whose open did
      if (!(a.valid & SetattrValid.FH)) checkAccess(node, req.caller, MAY_WRITE, 'truncate');
      node.truncate(req, a.size);
    }
    return this.getattr(req as unknown as FuseRequest<GetattrIn>);
  }

  /** READLINK: the target bytes. */
  readlink(req: FuseRequest<Empty>): string {
    const n = this.nodeIds.node(req.nodeid);
    if (n.kind !== 'symlink') fail(Errno.EINVAL);
    return n.target;
  }

  /** MKNOD (regular files only; the kernel sends it for mknod(2) and for open(O_CREAT) without CREATE). */
  async mknod(req: FuseRequest<MknodIn>): Promise<EntryOut> {
    if ((req.args.mode & S_IFMT) !== S_IFREG) fail(Errno.EPERM, 'only regular files can be made here');
    return this.entry(await this.createIn(req, req.args.name, req.args.mode, 0));
  }

  /**
   * Every create (CREATE, MKNOD, MKDIR) checks write and search permission on the directory here,
   * whether or not the kernel did (default_permissions); the kernel's order of answers is kept:
   * EACCES, then EEXIST. A name that is not UTF-8 is refused with EINVAL (names are stored as text).
   */
  private creatable(req: FuseRequest<unknown>, name: string): DirNode {
    const dir = this.dir(req.nodeid);
    checkCreate(dir, req.caller);
    if (undecodable(name)) fail(Errno.EINVAL, 'names must be UTF-8');
    if (dir.lookup(name)) fail(Errno.EEXIST);
    return dir;
  }

  private async createIn(req: FuseRequest<unknown>, name: string, mode: number, flags: number): Promise<FsNode> {
    const dir = this.creatable(req, name);
    if (!dir.create) fail(Errno.EPERM, 'objects cannot be created in this directory');
    return dir.create(req, name, mode & 0o7777, flags);
  }

  /** MKDIR: fuse_entry_out; EPERM where the tree has no subdirectories to make. */
  async mkdir(req: FuseRequest<MkdirIn>): Promise<EntryOut> {
    const dir = this.creatable(req, req.args.name);
    if (!dir.mkdir) fail(Errno.EPERM, 'directories cannot be made here');
    return this.entry(await dir.mkdir(req, req.args.name, req.args.mode & 0o7777));
  }

  /**
   * UNLINK: empty reply. Write and search permission on the directory and the sticky-bit rule are
   * checked here too (the VFS checks them only under default_permissions); then the node's own rule.
   */
  async unlink(req: FuseRequest<NameIn>): Promise<void> {
    const dir = this.dir(req.nodeid);
    const child = undecodable(req.args.name) ? undefined : dir.lookup(req.args.name);
    if (!child) fail(Errno.ENOENT);
    checkDelete(dir, child, req.caller);
    if (child.kind === 'dir') fail(Errno.EISDIR);
    if (!dir.unlink) fail(Errno.EPERM, 'this entry cannot be removed');
    await dir.unlink(req, req.args.name);
  }

  /** RMDIR: empty reply. */
  async rmdir(req: FuseRequest<NameIn>): Promise<void> {
    const dir = this.dir(req.nodeid);
    const child = undecodable(req.args.name) ? undefined : dir.lookup(req.args.name);
    if (!child) fail(Errno.ENOENT);
    checkDelete(dir, child, req.caller);
    if (child.kind !== 'dir') fail(Errno.ENOTDIR);
    if (!dir.rmdir) fail(Errno.EPERM, 'this directory cannot be removed');
    await dir.rmdir(req, req.args.name);
  }

  /**
   * RENAME/RENAME2: refused. An IPC object's name is its identity (a SysV id, a POSIX name others
   * open by); rename(2) documents EPERM for "does not support renaming of the type requested".
   */
  rename(req: FuseRequest<RenameIn>): void {
    this.dir(req.nodeid);
    fail(Errno.EPERM, 'IPC objects cannot be renamed');
  }

  /** SYMLINK: refused like rename (symlink(2): EPERM "does not support the creation of symbolic links"). */
  symlink(req: FuseRequest<SymlinkIn>): EntryOut {
    this.dir(req.nodeid);
    fail(Errno.EPERM, 'symbolic links cannot be made here');
  }

  /** LINK: refused (link(2): EPERM "does not support the creation of hard links"); an object has one name. */
  link(req: FuseRequest<LinkIn>): EntryOut {
    this.dir(req.nodeid);
    fail(Errno.EPERM, 'hard links cannot be made here');
  }

  // ---- files ----

  /**
   * OPEN: fuse_open_out with the node's FOPEN_* flags for this open. EISDIR for directories;
   * EMFILE/ENFILE past the opener's or everyone's open-file limit (nothing opened).
   */
  async open(req: FuseRequest<OpenIn>): Promise<OpenOut> {
    const node = this.nodeIds.node(req.nodeid);
    if (node.kind !== 'file') fail(node.kind === 'dir' ? Errno.EISDIR : Errno.ELOOP);
    checkAccess(node, req.caller, openMask(req.args.flags), 'open'); // may_open; CREATE skips it as Linux does
    const charge = this.chargeHandle(req);
    try {
      return this.register(await node.open(req, req.args.flags), charge);
    } catch (err) {
      charge.release();
      throw err;
    }
  }

  /** Taken before anything is opened or made, so a refusal changes nothing. */
  private chargeHandle(req: FuseRequest<unknown>): Charge {
    return this.quota.charge(req.caller.uid, { handles: 1 }, 'open');
  }

  private register(handle: FileHandle, charge: Charge): OpenOut {
    return { fh: this.files.add(handle, charge), openFlags: openFlagsOf(handle.mode), backingId: handle.mode.backingId ?? 0 };
  }

  /**
   * CREATE: fuse_entry_out + fuse_open_out: the object is made and opened in one request.
   * The handle is charged first: past the open-file limit (EMFILE/ENFILE) no object is made.
   */
  async create(req: FuseRequest<CreateIn>): Promise<{ entry: EntryOut; open: OpenOut }> {
    const charge = this.chargeHandle(req);
    try {
      const node = await this.createIn(req, req.args.name, req.args.mode, req.args.flags);
      if (node.kind !== 'file') fail(Errno.EISDIR);
      const handle = await node.open(req, req.args.flags);
      return { entry: this.entry(node), open: this.register(handle, charge) };
    } catch (err) {
      charge.release();
      throw err;
    }
  }

  /** READ: the bytes (short = end of file). flags are the file's current f_flags (O_NONBLOCK). */
  read(req: FuseRequest<ReadIn>): Buffer | Promise<Buffer> {
    return this.files.get(req.args.fh).handle.read(req, req.args.offset, req.args.size, req.args.flags);
  }

  /**
   * WRITE: fuse_write_out.size = bytes taken. Object files are streams with parallel direct writes
   * (tree/command-file.ts): a handle that waits holds the inode lock shared, so others go on.
   */
  write(req: FuseRequest<WriteIn>): number | Promise<number> {
    const { fh, data, offset, flags } = req.args;
    // A write that waits stays pending (req with it) for as long as it waits: its bytes, up to
    // COMMAND_MAX of a padded command, must not stay alive with it (1000 blocked threads each
    // holding 250 KB measured +240 MB). The handle has them for the synchronous part.
    req.args.data = NO_BYTES;
    return this.files.get(fh).handle.write(req, data, offset, flags);
  }

  /** FLUSH: every close(2) of a descriptor; empty reply. */
  flush(req: FuseRequest<FlushIn>): void {
    this.files.get(req.args.fh).handle.flush?.(req);
  }

  /**
   * RELEASE: the last reference to the open file is gone: close, exit, or SIGKILL (the kernel then
   * sends it with pid 0 or the exiting task's). Empty reply; the kernel does not wait for it.
   */
  release(req: FuseRequest<ReleaseIn>): void {
    this.files.release(req.args.fh, req);
  }

  /** FSYNC: nothing is buffered; empty reply. */
  fsync(req: FuseRequest<FsyncIn>): void {
    this.files.get(req.args.fh);
  }

  /**
   * POLL: fuse_poll_out.revents. With FUSE_POLL_SCHEDULE_NOTIFY the kernel waits for a
   * FUSE_NOTIFY_POLL carrying kh before polling again; the handle calls `wake` for that.
   */
  poll(req: FuseRequest<PollIn>): number {
    const f = this.files.get(req.args.fh);
    if (!f.handle.poll) return ALWAYS_READY & req.args.events;
    const wake = req.args.flags & POLL_SCHEDULE_NOTIFY ? this.files.pollWake(f, req.args.kh) : null;
    return f.handle.poll(req, req.args.events, wake);
  }

  // ---- directories ----

  /**
   * OPENDIR: a directory stream (no snapshot: tables/dir-streams.ts). EMFILE/ENFILE past the opener's or
   * everyone's limit of open directories.
   */
  opendir(req: FuseRequest<OpenIn>): OpenOut {
    const dir = this.dir(req.nodeid);
    checkAccess(dir, req.caller, MAY_READ, 'list'); // listing is reading the directory
    const charge = this.quota.charge(req.caller.uid, { dirStreams: 1 }, 'opendir');
    return { fh: this.dirs.open(dir, charge), openFlags: 0 };
  }

  /**
   * READDIR: whole fuse_dirent records up to size, from offset (tables/dir-streams.ts); an empty reply at
   * the end. The kernel asks again from the cookie of the last entry it could pass on, which is
   * where the stream stands unless the caller's buffer was smaller than ours (then it restarts).
   */
  readdir(req: FuseRequest<ReadIn>): Buffer {
    return this.dirs.read(req.args.fh, req.args.offset, req.args.size, req.log);
  }

  /** RELEASEDIR: empty reply; the stream's quota goes back. */
  releasedir(req: FuseRequest<ReleaseIn>): void {
    this.dirs.release(req.args.fh);
  }

  /** FSYNCDIR: nothing to sync. */
  fsyncdir(): void {}

  /** STATFS: fuse_statfs_out; no blocks, one "file" per known node. */
  statfs(): StatfsOut {
    return { blocks: 0, bfree: 0, bavail: 0, files: this.nodeIds.size, ffree: 0, bsize: 4096, namelen: 255, frsize: 4096 };
  }

  /**
   * ACCESS: only sent without default_permissions (access(2), chdir(2); with it the kernel checks
   * mode bits itself). The same check as every other path: mode bits with supplementary groups, or
   * the node's own rule (ipcperms for IPC objects). F_OK (mask 0) asks only that the node exists.
   */
  access(req: FuseRequest<AccessIn>): void {
    const node = this.nodeIds.node(req.nodeid);
    const mask = req.args.mask & 7;
    if (mask && !permits(node, req.caller, mask)) throw new FuseError(Errno.EACCES);
  }

  /** The session ended: release every open handle, as the kernel would have. */
  destroy(): void {
    const gone = { unique: 0, caller: { uid: 0, gid: 0, pid: 0, tgid: 0, groups: [] }, signal: AbortSignal.abort(), log: this.log };
    this.dirs.releaseAll();
    this.files.releaseAll(gone);
  }
}
