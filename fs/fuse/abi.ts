/**
 * Numbers and sizes from the kernel's FUSE ABI, as in /usr/include/linux/fuse.h (protocol 7.38).
 * Only what ipcfs uses; each struct size is the header's sizeof.
 */

export const FUSE_KERNEL_VERSION = 7;
/** The newest minor this code speaks (the header it was written against). */
export const FUSE_KERNEL_MINOR_VERSION = 38;
/** The oldest minor we accept: 7.23 (Linux 3.15) fixed fuse_init_out at 64 bytes. */
export const FUSE_MIN_MINOR_VERSION = 23;
export const FUSE_ROOT_ID = 1;

/** fuse.h: "The read buffer is required to be at least 8k" (FUSE_MIN_READ_BUFFER). */
export const FUSE_MIN_READ_BUFFER = 8192;

export const Opcode = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  GETLK: 31,
  SETLK: 32,
  SETLKW: 33,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36,
  BMAP: 37,
  DESTROY: 38,
  IOCTL: 39,
  POLL: 40,
  NOTIFY_REPLY: 41,
  BATCH_FORGET: 42,
  FALLOCATE: 43,
  READDIRPLUS: 44,
  RENAME2: 45,
  LSEEK: 46,
  COPY_FILE_RANGE: 47,
  SETUPMAPPING: 48,
  REMOVEMAPPING: 49,
  SYNCFS: 50,
  TMPFILE: 51,
} as const;
export type OpcodeName = keyof typeof Opcode;

export const NotifyCode = {
  POLL: 1,
  INVAL_INODE: 2,
  INVAL_ENTRY: 3,
  STORE: 4,
  RETRIEVE: 5,
  DELETE: 6,
} as const;

/** fuse_init_in/out flags (the first 32 bits). */
export const InitFlag = {
  ASYNC_READ: 1 << 0,
  POSIX_LOCKS: 1 << 1,
  FILE_OPS: 1 << 2,
  ATOMIC_O_TRUNC: 1 << 3,
  EXPORT_SUPPORT: 1 << 4,
  BIG_WRITES: 1 << 5,
  DONT_MASK: 1 << 6,
  SPLICE_WRITE: 1 << 7,
  SPLICE_MOVE: 1 << 8,
  SPLICE_READ: 1 << 9,
  FLOCK_LOCKS: 1 << 10,
  HAS_IOCTL_DIR: 1 << 11,
  AUTO_INVAL_DATA: 1 << 12,
  DO_READDIRPLUS: 1 << 13,
  READDIRPLUS_AUTO: 1 << 14,
  ASYNC_DIO: 1 << 15,
  WRITEBACK_CACHE: 1 << 16,
  NO_OPEN_SUPPORT: 1 << 17,
  PARALLEL_DIROPS: 1 << 18,
  HANDLE_KILLPRIV: 1 << 19,
  POSIX_ACL: 1 << 20,
  ABORT_ERROR: 1 << 21,
  MAX_PAGES: 1 << 22,
  CACHE_SYMLINKS: 1 << 23,
  NO_OPENDIR_SUPPORT: 1 << 24,
  EXPLICIT_INVAL_DATA: 1 << 25,
  MAP_ALIGNMENT: 1 << 26,
  SUBMOUNTS: 1 << 27,
  HANDLE_KILLPRIV_V2: 1 << 28,
  SETXATTR_EXT: 1 << 29,
  INIT_EXT: 1 << 30,
} as const;

/** fuse_open_out.open_flags. */
export const OpenOutFlag = {
  DIRECT_IO: 1 << 0,
  KEEP_CACHE: 1 << 1,
  NONSEEKABLE: 1 << 2,
  CACHE_DIR: 1 << 3,
  STREAM: 1 << 4,
  NOFLUSH: 1 << 5,
  PARALLEL_DIRECT_WRITES: 1 << 6,
} as const;

/**
 * FUSE passthrough (protocol 7.40, Linux 6.9). The machine's <linux/fuse.h> is 7.38 and lacks
 * everything in this block: the numbers and layouts are those of the kernel's own
 * include/uapi/linux/fuse.h at 7.45 (the running kernel, 6.18, speaks 7.45). The ABI probe
 * checks them only against a header of at least PASSTHROUGH_MINOR and says "skip" otherwise.
 */
export const PASSTHROUGH_MINOR = 40;
/** FUSE_PASSTHROUGH is 1ULL << 37: bit 5 of fuse_init_in/out.flags2 (bits 32..63, with FUSE_INIT_EXT). */
export const InitFlag2 = {
  PASSTHROUGH: 1 << 5,
} as const;
/** FOPEN_PASSTHROUGH: reads, writes and mmap of this open go to the backing file named by backing_id. */
export const FOPEN_PASSTHROUGH = 1 << 7;
/** ioctl(2) numbers on /dev/fuse: _IOW(229, 1, struct fuse_backing_map) and _IOW(229, 2, uint32_t). */
export const FUSE_DEV_IOC_BACKING_OPEN = 0x4010e501;
export const FUSE_DEV_IOC_BACKING_CLOSE = 0x4004e502;
/**
 * fuse_init_out.max_stack_depth: how deep backing files may be stacked under us. 1 = backing
 * files on a plain filesystem (a memfd is on shmem, depth 0); the kernel accepts 1..2.
 */
export const PASSTHROUGH_MAX_STACK_DEPTH = 1;
/** Fields of 7.40 that fill what 7.38 called padding or unused (the same sizes). */
// Stryker disable all: the C probe checks these against a header that has them.
export const LayoutSince40 = {
  fuse_open_out: { size: 16, fields: [['fh', 0, 8], ['open_flags', 8, 4], ['backing_id', 12, 4]] },
  fuse_init_out: { size: 64, fields: [['flags2', 32, 4], ['max_stack_depth', 36, 4]] },
  fuse_backing_map: { size: 16, fields: [['fd', 0, 4], ['flags', 4, 4], ['padding', 8, 8]] },
} as const satisfies Record<string, StructLayout>;
// Stryker restore all

/** fuse_setattr_in.valid. */
export const SetattrValid = {
  MODE: 1 << 0,
  UID: 1 << 1,
  GID: 1 << 2,
  SIZE: 1 << 3,
  ATIME: 1 << 4,
  MTIME: 1 << 5,
  FH: 1 << 6,
  ATIME_NOW: 1 << 7,
  MTIME_NOW: 1 << 8,
  LOCKOWNER: 1 << 9,
  CTIME: 1 << 10,
  KILL_SUIDGID: 1 << 11,
} as const;

export const RELEASE_FLUSH = 1 << 0;
export const GETATTR_FH = 1 << 0;
export const POLL_SCHEDULE_NOTIFY = 1 << 0;
export const FSYNC_FDATASYNC = 1 << 0;

/** Bit 0 of an INTERRUPT's own unique (FUSE_INT_REQ_BIT in the kernel). */
export const INT_REQ_BIT = 1;

/** One field of a kernel struct: its C name, its offset and its width in bytes (arrays: the whole array). */
export type FieldLayout = readonly [name: string, offset: number, width: number];
export interface StructLayout {
  readonly size: number;
  readonly fields: readonly FieldLayout[];
}

/**
 * The layout of every linux/fuse.h struct ipcfs reads or writes: sizeof, and each field's offset
 * and width, in declaration order. test/fs/fuse/abi-probe.test.ts compiles a C program from this
 * table against the machine's <linux/fuse.h> and fails on any difference; the codec tests check
 * the decoders and encoders against the same table. Size below is derived from it.
 */
// Stryker disable all: the C probe checks every name and number here against the header.
export const Layout = {
  fuse_in_header: { size: 40, fields: [['len', 0, 4], ['opcode', 4, 4], ['unique', 8, 8], ['nodeid', 16, 8], ['uid', 24, 4], ['gid', 28, 4], ['pid', 32, 4], ['total_extlen', 36, 2], ['padding', 38, 2]] },
  fuse_out_header: { size: 16, fields: [['len', 0, 4], ['error', 4, 4], ['unique', 8, 8]] },
  fuse_attr: { size: 88, fields: [['ino', 0, 8], ['size', 8, 8], ['blocks', 16, 8], ['atime', 24, 8], ['mtime', 32, 8], ['ctime', 40, 8], ['atimensec', 48, 4], ['mtimensec', 52, 4], ['ctimensec', 56, 4], ['mode', 60, 4], ['nlink', 64, 4], ['uid', 68, 4], ['gid', 72, 4], ['rdev', 76, 4], ['blksize', 80, 4], ['flags', 84, 4]] },
  fuse_entry_out: { size: 128, fields: [['nodeid', 0, 8], ['generation', 8, 8], ['entry_valid', 16, 8], ['attr_valid', 24, 8], ['entry_valid_nsec', 32, 4], ['attr_valid_nsec', 36, 4], ['attr', 40, 88]] },
  fuse_attr_out: { size: 104, fields: [['attr_valid', 0, 8], ['attr_valid_nsec', 8, 4], ['dummy', 12, 4], ['attr', 16, 88]] },
  fuse_open_out: { size: 16, fields: [['fh', 0, 8], ['open_flags', 8, 4], ['padding', 12, 4]] },
  fuse_write_out: { size: 8, fields: [['size', 0, 4], ['padding', 4, 4]] },
  fuse_kstatfs: { size: 80, fields: [['blocks', 0, 8], ['bfree', 8, 8], ['bavail', 16, 8], ['files', 24, 8], ['ffree', 32, 8], ['bsize', 40, 4], ['namelen', 44, 4], ['frsize', 48, 4], ['padding', 52, 4], ['spare', 56, 24]] },
  fuse_statfs_out: { size: 80, fields: [['st', 0, 80]] },
  fuse_init_in: { size: 64, fields: [['major', 0, 4], ['minor', 4, 4], ['max_readahead', 8, 4], ['flags', 12, 4], ['flags2', 16, 4], ['unused', 20, 44]] },
  fuse_init_out: { size: 64, fields: [['major', 0, 4], ['minor', 4, 4], ['max_readahead', 8, 4], ['flags', 12, 4], ['max_background', 16, 2], ['congestion_threshold', 18, 2], ['max_write', 20, 4], ['time_gran', 24, 4], ['max_pages', 28, 2], ['map_alignment', 30, 2], ['flags2', 32, 4], ['unused', 36, 28]] },
  fuse_poll_out: { size: 8, fields: [['revents', 0, 4], ['padding', 4, 4]] },
  fuse_getxattr_out: { size: 8, fields: [['size', 0, 4], ['padding', 4, 4]] },
  fuse_ioctl_out: { size: 16, fields: [['result', 0, 4], ['flags', 4, 4], ['in_iovs', 8, 4], ['out_iovs', 12, 4]] },
  fuse_dirent: { size: 24, fields: [['ino', 0, 8], ['off', 8, 8], ['namelen', 16, 4], ['type', 20, 4]] },
  fuse_notify_poll_wakeup_out: { size: 8, fields: [['kh', 0, 8]] },
  fuse_notify_inval_inode_out: { size: 24, fields: [['ino', 0, 8], ['off', 8, 8], ['len', 16, 8]] },
  fuse_notify_inval_entry_out: { size: 16, fields: [['parent', 0, 8], ['namelen', 8, 4], ['flags', 12, 4]] },
  fuse_getattr_in: { size: 16, fields: [['getattr_flags', 0, 4], ['dummy', 4, 4], ['fh', 8, 8]] },
  fuse_setattr_in: { size: 88, fields: [['valid', 0, 4], ['padding', 4, 4], ['fh', 8, 8], ['size', 16, 8], ['lock_owner', 24, 8], ['atime', 32, 8], ['mtime', 40, 8], ['ctime', 48, 8], ['atimensec', 56, 4], ['mtimensec', 60, 4], ['ctimensec', 64, 4], ['mode', 68, 4], ['unused4', 72, 4], ['uid', 76, 4], ['gid', 80, 4], ['unused5', 84, 4]] },
  fuse_mknod_in: { size: 16, fields: [['mode', 0, 4], ['rdev', 4, 4], ['umask', 8, 4], ['padding', 12, 4]] },
  fuse_mkdir_in: { size: 8, fields: [['mode', 0, 4], ['umask', 4, 4]] },
  fuse_rename_in: { size: 8, fields: [['newdir', 0, 8]] },
  fuse_rename2_in: { size: 16, fields: [['newdir', 0, 8], ['flags', 8, 4], ['padding', 12, 4]] },
  fuse_open_in: { size: 8, fields: [['flags', 0, 4], ['open_flags', 4, 4]] },
  fuse_create_in: { size: 16, fields: [['flags', 0, 4], ['mode', 4, 4], ['umask', 8, 4], ['open_flags', 12, 4]] },
  fuse_read_in: { size: 40, fields: [['fh', 0, 8], ['offset', 8, 8], ['size', 16, 4], ['read_flags', 20, 4], ['lock_owner', 24, 8], ['flags', 32, 4], ['padding', 36, 4]] },
  fuse_write_in: { size: 40, fields: [['fh', 0, 8], ['offset', 8, 8], ['size', 16, 4], ['write_flags', 20, 4], ['lock_owner', 24, 8], ['flags', 32, 4], ['padding', 36, 4]] },
  fuse_release_in: { size: 24, fields: [['fh', 0, 8], ['flags', 8, 4], ['release_flags', 12, 4], ['lock_owner', 16, 8]] },
  fuse_flush_in: { size: 24, fields: [['fh', 0, 8], ['unused', 8, 4], ['padding', 12, 4], ['lock_owner', 16, 8]] },
  fuse_fsync_in: { size: 16, fields: [['fh', 0, 8], ['fsync_flags', 8, 4], ['padding', 12, 4]] },
  fuse_setxattr_in: { size: 16, fields: [['size', 0, 4], ['flags', 4, 4], ['setxattr_flags', 8, 4], ['padding', 12, 4]] },
  fuse_getxattr_in: { size: 8, fields: [['size', 0, 4], ['padding', 4, 4]] },
  fuse_access_in: { size: 8, fields: [['mask', 0, 4], ['padding', 4, 4]] },
  fuse_interrupt_in: { size: 8, fields: [['unique', 0, 8]] },
  fuse_ioctl_in: { size: 32, fields: [['fh', 0, 8], ['flags', 8, 4], ['cmd', 12, 4], ['arg', 16, 8], ['in_size', 24, 4], ['out_size', 28, 4]] },
  fuse_poll_in: { size: 24, fields: [['fh', 0, 8], ['kh', 8, 8], ['flags', 16, 4], ['events', 20, 4]] },
  fuse_forget_in: { size: 8, fields: [['nlookup', 0, 8]] },
  fuse_batch_forget_in: { size: 8, fields: [['count', 0, 4], ['dummy', 4, 4]] },
  fuse_forget_one: { size: 16, fields: [['nodeid', 0, 8], ['nlookup', 8, 8]] },
} as const satisfies Record<string, StructLayout>;
// Stryker restore all
export type StructName = keyof typeof Layout;

/** fuse.h FUSE_COMPAT_SETXATTR_IN_SIZE: without FUSE_SETXATTR_EXT the kernel sends size and flags only. */
export const COMPAT_SETXATTR_IN_SIZE = 8;

/** struct sizes (bytes). */
export const Size = {
  inHeader: Layout.fuse_in_header.size,
  outHeader: Layout.fuse_out_header.size,
  attr: Layout.fuse_attr.size,
  entryOut: Layout.fuse_entry_out.size,
  attrOut: Layout.fuse_attr_out.size,
  openOut: Layout.fuse_open_out.size,
  writeOut: Layout.fuse_write_out.size,
  statfsOut: Layout.fuse_statfs_out.size,
  initOut: Layout.fuse_init_out.size,
  pollOut: Layout.fuse_poll_out.size,
  getxattrOut: Layout.fuse_getxattr_out.size,
  ioctlOut: Layout.fuse_ioctl_out.size,
  dirent: Layout.fuse_dirent.size,
  notifyPollWakeup: Layout.fuse_notify_poll_wakeup_out.size,
  notifyInvalInode: Layout.fuse_notify_inval_inode_out.size,
  notifyInvalEntry: Layout.fuse_notify_inval_entry_out.size,
} as const;

/** File type bits of st_mode, and d_type values for READDIR. */
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const DT_DIR = 4;
export const DT_REG = 8;
export const DT_LNK = 10;
export function direntType(mode: number): number {
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return DT_DIR;
    case S_IFLNK:
      return DT_LNK;
    default:
      return DT_REG;
  }
}
