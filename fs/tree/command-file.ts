/**
 * How the kernel must treat a command file (an IPC object file, a `.new` clone file) so that any
 * number of processes and threads sharing one open file description (fork, dup, threads, a jobserver
 * tree) can read, write and block in it at the same time, and SIGKILL ends any of them at once.
 * Kernel behaviour relied on (fs/read_write.c, fs/file.c, fs/fuse/file.c; verified on 6.18):
 *
 *  - fdget_pos() takes the description's f_pos_lock around read(2) and write(2) for files with
 *    FMODE_ATOMIC_POS (every regular file): a writer blocked in a `wait` would hold it, and every
 *    other user of the description would sleep in D state (unkillable) behind it. FOPEN_STREAM makes
 *    the open a stream (stream_open: no FMODE_ATOMIC_POS, no FMODE_LSEEK/PREAD/PWRITE), so no
 *    position lock is taken. pread/pwrite/lseek then fail with ESPIPE, and every READ and WRITE
 *    arrives with offset 0 (a stream has no position): readers keep their own cursor
 *    (text-file.ts).
 *  - FOPEN_DIRECT_IO: every read and write reaches the daemon (no page cache). A direct-I/O write
 *    takes the inode lock (i_rwsem) in fuse_direct_write_iter -> fuse_dio_lock: shared only with
 *    FOPEN_PARALLEL_DIRECT_WRITES, and even then exclusive when the write is O_APPEND
 *    (IOCB_APPEND) or goes past EOF (fuse_io_past_eof: ki_pos + count > i_size). A stream write
 *    starts at ki_pos 0, so it stays under the shared lock only when its length is at most i_size:
 *    command files report a size of COMMAND_MAX (the longest legal command), so every legal write
 *    takes the inode lock shared and never waits for a blocked writer on the same inode. GETATTR,
 *    LOOKUP and SETATTR (O_TRUNC) replies set i_size to that size again; a write never grows it
 *    (fuse_write_update_attr only grows i_size to ki_pos + written, at most COMMAND_MAX).
 *  - Consequences: a write(2) longer than COMMAND_MAX (which fails with EMSGSIZE anyway), any
 *    write on a descriptor opened with O_APPEND (`echo post >> file`), and an open with O_TRUNC
 *    (do_truncate) take the inode lock exclusively: they wait, uninterruptibly, while a write on
 *    the same kernel inode is blocked in the daemon, and while one of them waits, the rwsem makes
 *    later writes on that inode wait behind it. A fresh open by path gets its own kernel inode
 *    (fs/tables/node-ids.ts: a fresh node id per LOOKUP), so this concerns only descriptors shared
 *    with a blocked writer and reopens of them through /proc/PID/fd (`> /proc/self/fd/3` truncates):
 *    use the descriptor itself (`>&3`), or open without O_APPEND and O_TRUNC.
 *  - Reads take no inode lock in the direct-I/O path (fuse_direct_read_iter).
 */
import type { OpenMode } from './node.js';
import { COMMAND_MAX } from './command-framing.js';

/** The FOPEN_* flags of every command file open. */
export const COMMAND_FILE_MODE: Readonly<OpenMode> = Object.freeze({
  directIo: true,
  stream: true,
  nonSeekable: true,
  // no FLUSH on close (node.ts OpenMode.noFlush): no command file needs one, and a close made
  // inside exec would otherwise wait for the daemon while holding the exec locks
  noFlush: true,
  parallelDirectWrites: true,
});

/** st_size of a command file: what keeps every legal write under the shared inode lock (above). */
export const COMMAND_FILE_SIZE = COMMAND_MAX;
