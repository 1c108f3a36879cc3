/**
 * The small filesystem API that IPC objects plug into. fs/operations.ts translates FUSE requests
 * into calls on these nodes; nodes know nothing of FUSE (no node ids, no bytes on the wire).
 */
import type { Logger } from 'pino';
import type { EarlyReplies } from '../fuse/early-replies.js';
import type { Caller } from '../fuse/ops.js';

/** What a node operation gets from the request that caused it. */
export interface FsContext {
  /** the request's unique (what an early reply names: fuse/early-replies.ts) */
  readonly unique: number;
  readonly caller: Caller;
  /** Aborts (reason: FuseError EINTR) when the caller is interrupted or the session ends. */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export interface Stat {
  /** File type and permission bits (S_IFDIR | 0o755, ...). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** A chmod/chown/utimes request; absent fields are unchanged. */
export interface StatChange {
  mode?: number;
  uid?: number;
  gid?: number;
  atimeMs?: number;
  mtimeMs?: number;
}

/**
 * Which node id LOOKUP answers for a node: 'stable' = one node id, so one kernel inode shared by
 * every open; 'per-lookup' = a fresh node id each time, so each open has its own kernel inode
 * (fs/tables/node-ids.ts says why files want that).
 */
export type NodeIdRule = 'stable' | 'per-lookup';

interface NodeBase {
  /** Stable inode number shown by stat (st_ino). */
  readonly ino: number;
  /** Absent: 'stable' for directories, 'per-lookup' for files and symlinks. */
  readonly nodeIds?: NodeIdRule;
  stat(): Stat;
  /** chmod/chown/touch; absent = EPERM for mode/owner changes, times are ignored. */
  setStat?(ctx: FsContext, change: StatChange): void;
  /**
   * Whether who may access this node for mask (MAY_READ | MAY_WRITE | MAY_EXEC); absent = the
   * mode bits of stat() (fs/tree/access.ts). IPC objects use ipcperms (the creator counts too).
   */
  permits?(who: { uid: number; gid: number; groups?: readonly number[] | null }, mask: number): boolean;
}

/**
 * How the kernel should treat one open file (the FOPEN_* reply flags, per open). Command files
 * (object files, `.new`) use COMMAND_FILE_MODE (command-file.ts explains the kernel behaviour).
 */
export interface OpenMode {
  /** Every read and write reaches the handle (no page cache): needed for status and command files. */
  directIo?: boolean;
  /** pread/pwrite and lseek fail with ESPIPE. */
  nonSeekable?: boolean;
  /**
   * A stream: the kernel keeps no file position and takes no position lock (fdget_pos), so users
   * of a shared open file description never wait for each other; reads and writes arrive with
   * offset 0, and the handle keeps its own read cursor.
   */
  stream?: boolean;
  /**
   * Direct-I/O writes take the inode lock shared instead of exclusive, as long as they do not pass
   * the file's size (stream writes start at 0) and are not O_APPEND.
   */
  parallelDirectWrites?: boolean;
  /**
   * close(2) sends no FLUSH (FOPEN_NOFLUSH, 7.35; the kernel honours it without writeback cache):
   * a process that closes the file, or execs with it close-on-exec, or exits, never waits for the
   * daemon. A FLUSH from inside exec waits while the task holds its exec locks, under which
   * /proc/PID/stat of that task waits as well (a daemon reading it would stall). Every command
   * file has it (no handle has a flush hook); memory files do not (their FLUSH writes the page
   * cache back to the memfd).
   */
  noFlush?: boolean;
  /**
   * Keep the page cache across opens (content that does not change, or content that changes only
   * through this inode's own page cache: shared memory on the cached path, fs/memory/).
   */
  keepCache?: boolean;
  /**
   * FUSE passthrough (7.40): the id of a backing file registered on the connection
   * (fs/fuse/backing.ts); the kernel serves read, write and mmap of this open from that file.
   */
  backingId?: number;
}

/** An open file. Its lifetime is the kernel's struct file: from open to the last close (RELEASE). */
export interface FileHandle {
  readonly mode: OpenMode;
  read(ctx: FsContext, offset: number, size: number, flags: number): Buffer | Promise<Buffer>;
  write(ctx: FsContext, data: Buffer, offset: number, flags: number): number | Promise<number>;
  /**
   * Readiness for poll(2): the POLL* bits ready now. When `wake` is given the handle must call it
   * once when readiness may have changed (the kernel then polls again).
   */
  poll?(ctx: FsContext, events: number, wake: (() => void) | null): number;
  /** close(2) of one descriptor (may happen several times for dup'ed descriptors). */
  flush?(ctx: FsContext): void;
  /** The last reference is gone (last close, or the process died). Never fails. */
  release(ctx: FsContext): void;
  /**
   * Opened as fh: the handle may bind fh to its object's early replies (fuse/early-replies.ts).
   * fs/tables/open-files.ts unbinds fh itself on RELEASE.
   */
  opened?(fh: number, early: EarlyReplies): void;
}

export interface FileNode extends NodeBase {
  readonly kind: 'file';
  /** flags: the open(2) flags (O_ACCMODE, O_NONBLOCK, ...). */
  open(ctx: FsContext, flags: number): FileHandle | Promise<FileHandle>;
  /** truncate(2)/ftruncate(2)/O_TRUNC: SETATTR with a size. Absent: the size is ignored. */
  truncate?(ctx: FsContext, size: number): void;
}

export interface SymlinkNode extends NodeBase {
  readonly kind: 'symlink';
  readonly target: string;
}

export interface DirNode extends NodeBase {
  readonly kind: 'dir';
  lookup(name: string): FsNode | undefined;
  /**
   * The entries, lazily, in a stable order, as a live iterator (a Map's, or a generator over one):
   * an open directory stream keeps it between READDIRs, so it must see removals and appends
   * and cost O(1) per entry. Never an array of all entries.
   */
  entries(): Iterable<[string, FsNode]>;
  /** open(O_CREAT) and mknod: absent = EPERM. mode already has the umask applied. */
  create?(ctx: FsContext, name: string, mode: number, flags: number): FsNode | Promise<FsNode>;
  mkdir?(ctx: FsContext, name: string, mode: number): DirNode | Promise<DirNode>;
  unlink?(ctx: FsContext, name: string): void | Promise<void>;
  rmdir?(ctx: FsContext, name: string): void | Promise<void>;
}

export type FsNode = DirNode | FileNode | SymlinkNode;

let nextIno = 2; // 1 is the root's (FUSE_ROOT_ID)

/** A fresh inode number, unique in this process. */
export function allocIno(): number {
  return nextIno++;
}
