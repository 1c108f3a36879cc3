/**
 * A shared-memory object as a file (shared-memory/named/<name>, shared-memory/sysv/<shmid>): the
 * file's content is the object's memory (fs/memory/memory-file.ts: FUSE passthrough to a memfd
 * when the daemon may, one kernel inode's page cache otherwise), so unlike the other kinds it is
 * not a command stream: read, write, pread, pwrite, mmap and ftruncate are the memory's. Its
 * status is a separate file (shared-memory/status/..., fs/shm/status-dir.ts).
 *
 * From the kind layer it takes ObjectFile (stat from the object's permission and times, ipcperms
 * for open and ACCESS, chmod/chown as IPC_SET, utimes) with st_size the memory's size. It does
 * not take ObjectHandle: that handle is a command stream (FOPEN_STREAM, direct I/O, framing,
 * answers, poll), and the memory's handle is the opposite (seekable, cached or passthrough).
 * The handle here is the MemoryFile's, with the object's open count (PosixShm.opened/released,
 * the segment's nattch) kept around it.
 */
import { Errno, fail } from '../../ipc/errno.js';
import type { FileObject } from '../kinds/object-file.js';
import { ObjectFile } from '../kinds/object-file.js';
import type { MemoryFile } from '../memory/memory-file.js';
import type { FileHandle, FsContext, FsNode } from '../tree/node.js';

/** What a shared-memory file needs of its object (POSIX or System V). */
export interface ShmObject extends FileObject {
  readonly memory: MemoryFile;
  /** OPEN: counts the open (shm_open's user, shmat); refuses a gone object */
  attach(ctx: FsContext): void;
  /** RELEASE of that open (pid 0: the kernel did not say whose) */
  detach(pid: number): void;
  /** ftruncate / O_TRUNC */
  truncate(ctx: FsContext, size: number): void;
  /** the status text (shared-memory/status/...) */
  status(): string;
}

export class ShmFile<O extends ShmObject = ShmObject> extends ObjectFile<O> {
  /**
   * One kernel inode for every lookup: MAP_SHARED coherence on the page-cache path needs one page
   * cache (docs/shared-memory.md). Memory never blocks, so the reason object files take a fresh
   * inode per lookup (a blocked writer holds its inode's lock) does not apply.
   */
  readonly nodeIds = 'stable' as const;

  protected override size(): number {
    return this.obj.memory.size;
  }

  /** shared-memory/status/... (fs/kinds/status-dir.ts) */
  statusText(): string {
    return this.obj.status();
  }

  open(ctx: FsContext): FileHandle {
    this.obj.attach(ctx);
    let inner: FileHandle;
    try {
      inner = this.obj.memory.open(ctx);
    } catch (err) {
      this.obj.detach(0);
      throw err;
    }
    let released = false;
    return {
      mode: inner.mode,
      read: (c, offset, size, flags) => inner.read(c, offset, size, flags),
      write: (c, data, offset, flags) => inner.write(c, data, offset, flags),
      release: (c) => {
        if (released) return;
        released = true;
        inner.release(c);
        this.obj.detach(c.caller.tgid || c.caller.pid);
      },
    };
  }

  truncate(ctx: FsContext, size: number): void {
    if (!Number.isSafeInteger(size) || size < 0) fail(Errno.EINVAL, `size ${size}`);
    this.obj.truncate(ctx, size);
  }
}

/** The shared-memory status mirror's test: a node of a shared-memory kind directory is an object. */
export const isShmFile = (node: FsNode): node is ShmFile => node instanceof ShmFile;
