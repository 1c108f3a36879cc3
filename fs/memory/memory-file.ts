/**
 * A file whose content is memory: the bytes of a shared-memory object, in a memfd the daemon owns
 * (memfd_create: shmem pages, like /dev/shm, never on a disk, released with the last reference).
 * Two ways to serve it, fixed per object at its first open (one kernel inode may not mix them):
 *
 *  passthrough  FOPEN_PASSTHROUGH with the memfd as the backing file (fs/fuse/backing.ts): the
 *               kernel serves read, write and mmap from the memfd itself, the daemon sees only
 *               OPEN, RELEASE, GETATTR and SETATTR (truncate). mmap maps the memfd's own pages, so
 *               every mapping, every read(2) and the daemon's copy are the same memory.
 *               Needs CAP_SYS_ADMIN (a daemon mounted by root) and a kernel with passthrough.
 *  cached       no passthrough (fusermount3 mounts, older kernels): one kernel inode per object
 *               (`nodeIds = 'stable'`) and its page cache, no FOPEN_DIRECT_IO, FOPEN_KEEP_CACHE. Every
 *               mapping and read(2) of the object go through that one page cache, so they are
 *               coherent at once; write(2) is written through to the memfd as it happens, but a
 *               store through a mapping reaches the memfd only on writeback (msync, fsync,
 *               close of a descriptor — fuse_flush writes the inode back — or the flusher).
 *
 * A fixed-size object (a System V segment: its size is shmget's) is sealed against growing and
 * shrinking (F_SEAL_GROW | F_SEAL_SHRINK on the memfd): on the passthrough path writes never reach
 * the daemon, so only the memfd itself can refuse a write past the end (EPERM, as any sealed
 * memfd), and refuse it the same way on both paths. A resizable object (POSIX) has no such guard
 * on the passthrough path: a write(2) past its end grows the memfd without the daemon knowing
 * (the new pages are charged to the writer's memory cgroup, as a /dev/shm file's are); the daemon
 * sees the new size at the next GETATTR. On the cached path every write passes `maxSize`.
 *
 * The object outlives its name: after `remove` (unlink) open handles and mappings keep working;
 * the memfd is closed and the backing id unregistered when the last handle is released (a
 * mapping holds its open file until munmap, so that is after the last munmap too).
 */
import { closeSync, fstatSync, ftruncateSync, readSync, writeSync } from 'node:fs';
import { S_IFREG } from '../fuse/abi.js';
import type { BackingFiles } from '../fuse/backing.js';
import { Errno, fail } from '../fuse/errno.js';
import { native } from '../fuse/native.js';
import { allocIno, type FileHandle, type FileNode, type FsContext, type OpenMode, type Stat } from '../tree/node.js';

export type MemoryPath = 'passthrough' | 'cached';
/** What an object asks for: `auto` takes passthrough when the connection and privileges allow it. */
export type MemoryPathChoice = MemoryPath | 'auto';

/** The page cache path's open flags: cached I/O, and no invalidation of the shared cache on open. */
export const CACHED_OPEN_MODE: OpenMode = Object.freeze({ keepCache: true });

const EMPTY = Buffer.alloc(0);
/** the page size shmem writes by (x86-64 and most others) */
const PAGE_SIZE = 4096;
/** fcntl.h F_SEAL_SHRINK, F_SEAL_GROW */
const F_SEAL_SHRINK = 0x2;
const F_SEAL_GROW = 0x4;

export interface MemoryFileOptions {
  /** memfd name (shown in /proc/PID/maps of the daemon; at most 249 bytes). */
  name: string;
  backing: BackingFiles;
  path: MemoryPathChoice;
  mode: number;
  uid: number;
  gid: number;
  /** The largest size a write or truncate may make (EFBIG beyond). */
  maxSize: number;
  /** A size fixed at creation (System V): the memfd gets it and is sealed against any change. */
  fixedSize?: number;
  /** Called once when the memfd is closed (the daemon's descriptor budget: fs/shm/dirs.ts). */
  onFree?: () => void;
  now?: () => number;
}

/** Counters the tests and the bench read (test files show them): what reached the daemon. */
export interface MemoryCounters {
  reads: number;
  writes: number;
  truncates: number;
}

export class MemoryFile implements FileNode {
  readonly kind = 'file';
  readonly ino = allocIno();
  /**
   * One kernel inode for every lookup (fs/tables/node-ids.ts), so every open shares one page
   * cache: MAP_SHARED coherence between processes needs it. Its handles never block.
   */
  readonly nodeIds = 'stable';
  readonly counters: MemoryCounters = { reads: 0, writes: 0, truncates: 0 };
  private fd: number;
  private served: MemoryPath | null = null;
  private backingId = 0;
  private openHandles = 0;
  private removed = false;
  private readonly now: () => number;
  private mtimeMs: number;
  private ctimeMs: number;
  private atimeMs: number;

  constructor(private readonly o: MemoryFileOptions) {
    const fixed = o.fixedSize !== undefined;
    const fd = native.memfdCreate(o.name.slice(0, 249), fixed);
    if (fd < 0) fail(-fd, 'memfd_create failed');
    this.fd = fd;
    if (fixed) {
      ftruncateSync(fd, o.fixedSize!);
      const rc = native.addSeals(fd, F_SEAL_SHRINK | F_SEAL_GROW);
      if (rc < 0) {
        closeSync(fd);
        fail(-rc, 'sealing the memfd failed');
      }
    }
    this.now = o.now ?? Date.now;
    this.mtimeMs = this.ctimeMs = this.atimeMs = this.now();
  }

  /** How the object is served: null until its first open. */
  get path(): MemoryPath | null {
    return this.served;
  }

  get handles(): number {
    return this.openHandles;
  }

  get size(): number {
    return this.fd < 0 ? 0 : fstatSync(this.fd).size;
  }

  /**
   * Bytes of memory the memfd holds (st_blocks: shmem's allocated pages, those swapped out
   * included; a page never touched takes none): sysvipc/shm's rss. 0 once freed.
   */
  get residentBytes(): number {
    return this.fd < 0 ? 0 : fstatSync(this.fd).blocks * 512;
  }

  stat(): Stat {
    return {
      mode: S_IFREG | (this.o.mode & 0o7777), uid: this.o.uid, gid: this.o.gid, size: this.size,
      nlink: this.removed ? 0 : 1, atimeMs: this.atimeMs, mtimeMs: this.mtimeMs, ctimeMs: this.ctimeMs,
    };
  }

  /** Decides the path once: passthrough when asked (or `auto`) and the backing file registers. */
  private choosePath(ctx: FsContext): MemoryPath {
    if (this.served) return this.served;
    if (this.o.path !== 'cached') {
      const id = this.o.backing.available ? this.o.backing.open(this.fd) : -Errno.EOPNOTSUPP;
      if (id > 0) {
        this.backingId = id;
        return (this.served = 'passthrough');
      }
      if (this.o.path === 'passthrough') {
        fail(Errno.EOPNOTSUPP, `passthrough unavailable (backing open: ${id}): needs CAP_SYS_ADMIN and a kernel with FUSE passthrough`);
      }
      ctx.log.info({ errno: -id }, 'shared memory served through the page cache (no passthrough)');
    }
    return (this.served = 'cached');
  }

  open(ctx: FsContext): FileHandle {
    if (this.fd < 0) fail(Errno.ENOENT, 'the object is gone');
    const path = this.choosePath(ctx);
    this.openHandles++;
    this.atimeMs = this.now();
    let released = false;
    const mode: OpenMode = path === 'passthrough' ? { backingId: this.backingId } : CACHED_OPEN_MODE;
    return {
      mode,
      read: (_ctx, offset, size) => this.read(offset, size),
      write: (_ctx, data, offset) => this.write(data, offset),
      release: () => {
        if (released) return;
        released = true;
        this.openHandles--;
        this.freeIfUnused();
      },
    };
  }

  /** READ (cached path only: passthrough reads never reach the daemon). Short at end of file. */
  private read(offset: number, size: number): Buffer {
    this.counters.reads++;
    if (size === 0) return EMPTY;
    const buf = Buffer.allocUnsafe(size);
    const n = readSync(this.fd, buf, 0, size, offset);
    return n === size ? buf : buf.subarray(0, n);
  }

  /** WRITE: write(2) through the page cache, and writeback of pages stored through mappings. */
  private write(data: Buffer, offset: number): number {
    this.counters.writes++;
    if (this.o.fixedSize !== undefined && offset + data.length > this.o.fixedSize) {
      // As the sealed memfd answers on the passthrough path: shmem writes page by page and refuses
      // (EPERM) the first page-bounded piece that would end past the size, so what is written is
      // the pieces up to the last page boundary within the size, or nothing (EPERM).
      const fits = Math.floor(this.o.fixedSize / PAGE_SIZE) * PAGE_SIZE - offset;
      if (fits <= 0) fail(Errno.EPERM, `a segment of ${this.o.fixedSize} bytes does not grow`);
      data = data.subarray(0, fits);
    }
    if (offset + data.length > this.o.maxSize) fail(Errno.EFBIG, `past the largest size, ${this.o.maxSize}`);
    const n = writeSync(this.fd, data, 0, data.length, offset);
    this.mtimeMs = this.ctimeMs = this.now();
    return n;
  }

  truncate(_ctx: FsContext, size: number): void {
    if (this.o.fixedSize !== undefined && size !== this.o.fixedSize) fail(Errno.EPERM, `a segment of ${this.o.fixedSize} bytes keeps its size`);
    if (this.o.fixedSize !== undefined) return;
    if (size > this.o.maxSize) fail(Errno.EFBIG, `past the largest size, ${this.o.maxSize}`);
    if (this.fd < 0) return;
    this.counters.truncates++;
    ftruncateSync(this.fd, size); // new bytes read as zero (shmem)
    this.mtimeMs = this.ctimeMs = this.now();
  }

  /** The name is gone (unlink): handles and mappings keep working until released. */
  remove(): void {
    this.removed = true;
    this.ctimeMs = this.now();
    this.freeIfUnused();
  }

  private freeIfUnused(): void {
    if (!this.removed || this.openHandles > 0 || this.fd < 0) return;
    if (this.backingId > 0) this.o.backing.close(this.backingId);
    this.backingId = 0;
    closeSync(this.fd);
    this.fd = -1;
    this.o.onFree?.();
  }
}
