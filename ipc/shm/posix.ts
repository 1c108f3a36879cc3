/**
 * POSIX shared memory objects (shm_open, ftruncate, shm_unlink): the size, the pages it is
 * charged, open counting and the object's life after unlink. Pure state: the bytes are in fs/
 * (fs/memory/memory-file.ts), which truncates its memory after `truncate` here succeeded and
 * frees it when `onDestroy` runs.
 *
 * A new object is empty; ftruncate sets the size (new bytes read as zero: fs/'s memfd does it)
 * and charges the object's creator for the pages (ENOSPC past the global page limit or the
 * creator's own). shm_unlink removes the name only: open handles and mappings keep working, and
 * the object goes when the last of them is released (`handles` counts open files; a mapping holds
 * its open file until munmap, see sysv.ts on nattch).
 */
import { Errno, ErrnoError, fail } from '../errno.js';
import type { IpcPerm, Who } from '../semaphores/perms.js';
import { SHM_LIMITS, pagesOf, type ShmCharge, type ShmLimits, type ShmQuota } from './limits.js';

/** The largest size ftruncate may set: what a file offset holds (MAX_LFS_FILESIZE), as a safe integer. */
export const POSIX_SHM_MAX_SIZE = Number.MAX_SAFE_INTEGER;

export class PosixShm {
  readonly perm: IpcPerm;
  /** called after every change (status, poll) */
  readonly watchers = new Set<() => void>();
  private bytes = 0;
  private pagesCharge: ShmCharge | null = null;
  private readonly objectCharge: ShmCharge;
  private open = 0;
  private unlinked = false;
  private destroyed = false;
  mtimeMs: number;
  ctimeMs: number;
  /** called once when the object is gone (unlinked and its last handle released) */
  onDestroy: () => void = () => {};

  constructor(
    readonly name: string,
    who: Who,
    mode: number,
    private readonly quota: ShmQuota,
    private readonly limits: ShmLimits = SHM_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    // one object for its creator (ENOSPC past the objects limits), nothing made on failure
    this.objectCharge = quota.charge(who.uid, { objects: 1 }, 'shm_open');
    this.perm = { uid: who.uid, gid: who.gid, cuid: who.uid, cgid: who.gid, mode: mode & 0o777 };
    this.mtimeMs = this.ctimeMs = now();
  }

  get size(): number {
    return this.bytes;
  }

  get pages(): number {
    return pagesOf(this.bytes, this.limits.pageSize);
  }

  get handles(): number {
    return this.open;
  }

  get isUnlinked(): boolean {
    return this.unlinked;
  }

  get gone(): boolean {
    return this.destroyed;
  }

  /**
   * ftruncate(size): EINVAL for a negative or non-integer size, EFBIG past the largest file size,
   * ENOSPC when the pages cannot be charged (to the creator; the size stays as it was).
   */
  truncate(size: number): void {
    if (!Number.isInteger(size) || size < 0) fail(Errno.EINVAL, `size ${size}: not a size`);
    if (size > POSIX_SHM_MAX_SIZE) fail(Errno.EFBIG, `size ${size} is past the largest file size`);
    if (this.destroyed) fail(Errno.ENOENT, `${this.name} is gone`);
    const pages = pagesOf(size, this.limits.pageSize);
    if (pages !== this.pages) {
      // The new size's pages replace the old ones: give the old back first (shrinking must never
      // fail on a limit), and take them again, unchanged, when the new ones are refused.
      const old = this.pages;
      this.pagesCharge?.release();
      this.pagesCharge = null;
      try {
        this.pagesCharge = this.chargePages(pages);
      } catch (err) {
        this.pagesCharge = this.chargePages(old); // nothing ran between: it fits again
        throw err;
      }
    }
    this.bytes = size;
    this.mtimeMs = this.ctimeMs = this.now();
    this.changed();
  }

  private chargePages(pages: number): ShmCharge | null {
    if (pages === 0) return null;
    try {
      return this.quota.charge(this.perm.cuid, { shmPages: pages }, 'ftruncate');
    } catch (err) {
      // ftruncate(2) knows no ENOMEM: a user's own page limit is "no space", as a full tmpfs
      if (err instanceof ErrnoError && err.errno === Errno.ENOMEM) fail(Errno.ENOSPC, err.message);
      throw err;
    }
  }

  /** An open of the object's file. ENOENT once the object is gone. */
  opened(): void {
    if (this.destroyed) fail(Errno.ENOENT, `${this.name} is gone`);
    this.open++;
    this.changed();
  }

  /** The RELEASE of an open: the object goes with its last one once unlinked. */
  released(): void {
    if (this.open === 0) return;
    this.open--;
    this.changed();
    this.destroyIfUnused();
  }

  /** shm_unlink: the name goes; the object stays while opened. Permission is the directory's (fs/). */
  unlink(_who?: Who): void {
    if (this.unlinked) return;
    this.unlinked = true;
    this.ctimeMs = this.now();
    this.changed();
    this.destroyIfUnused();
  }

  private destroyIfUnused(): void {
    if (!this.unlinked || this.open > 0 || this.destroyed) return;
    this.destroyed = true;
    this.pagesCharge?.release();
    this.pagesCharge = null;
    this.objectCharge.release();
    this.changed();
    this.onDestroy();
  }

  private changed(): void {
    for (const w of [...this.watchers]) w();
  }
}
