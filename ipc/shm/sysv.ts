/**
 * System V shared memory segments (ipc/shm.c): shmget by key or IPC_PRIVATE, the shmid_ds fields,
 * attach and detach counting, IPC_RMID. Pure state: the bytes live in fs/ (a memfd per segment,
 * fs/memory/memory-file.ts); fs/ calls attach on OPEN of the segment's file and detach on RELEASE
 * and frees the memory when `onDestroy` runs.
 *
 * nattch: the number of open files of the segment — every open that has not been released. A
 * FUSE daemon never sees mmap or munmap (neither on the page-cache path nor with passthrough, where
 * it does not even see reads and writes), but a MAP_SHARED mapping holds its open file until it is
 * unmapped, so the RELEASE of a file comes after its last mapping is gone (and after exit, for a
 * process that dies). So "shmat" = open + mmap (the descriptor may be closed at once) and "shmdt"
 * = munmap of the last mapping made through that open. Differences from Linux's count of attaches:
 * a fork shares its parent's open file (Linux counts the child's attach too), two mappings of one
 * open count once, and an open without a mapping counts while it is open.
 */
import { Errno, fail } from '../errno.js';
import { checkOwner, checkPerm, ipcSet, type IpcPerm, type Who } from '../semaphores/perms.js';
import { SHM_LIMITS, pagesOf, type ShmCharge, type ShmLimits, type ShmQuota } from './limits.js';

export const IPC_PRIVATE = 0;
export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
/** shm_perm.mode: the segment is removed and goes with its last detach (shown as `dest`). */
export const SHM_DEST = 0o1000;
/** Linux's id = slot + SEQ_MULTIPLIER * sequence */
const SEQ_MULTIPLIER = 32768;

export interface Creator extends Who {
  pid: number;
}

/** struct shmid_ds, times in ms. */
export interface ShmidDs {
  perm: IpcPerm;
  /** the size asked for (bytes; the memory is this rounded up to pages) */
  segsz: number;
  cpid: number;
  /** pid of the last attach or detach */
  lpid: number;
  nattch: number;
  atimeMs: number;
  dtimeMs: number;
  ctimeMs: number;
}

export class SysvSegment {
  readonly ds: ShmidDs;
  /** called after every change (status, poll) */
  readonly watchers = new Set<() => void>();
  private destroyed = false;

  constructor(
    readonly id: number,
    /** IPC_PRIVATE once removed (Linux: ipc_set_key_private), so shmget no longer finds it */
    public key: number,
    perm: IpcPerm,
    segsz: number,
    cpid: number,
    readonly pages: number,
    readonly charge: ShmCharge,
    now: number,
  ) {
    this.ds = { perm, segsz, cpid, lpid: 0, nattch: 0, atimeMs: 0, dtimeMs: 0, ctimeMs: now };
  }

  /** shm_perm (the kind directories' view of any System V object) */
  get perm(): IpcPerm {
    return this.ds.perm;
  }

  /** IPC_RMID was done (SHM_DEST): attaches still work (Linux allows shmat of it) until nattch 0. */
  get dest(): boolean {
    return (this.ds.perm.mode & SHM_DEST) !== 0;
  }

  get gone(): boolean {
    return this.destroyed;
  }

  /** @internal the registry's */
  markDestroyed(): void {
    this.destroyed = true;
  }

  changed(): void {
    for (const w of [...this.watchers]) w();
  }
}

export class SysvShmRegistry {
  private readonly byId = new Map<number, SysvSegment>();
  private readonly byKey = new Map<number, SysvSegment>();
  private readonly slots: (SysvSegment | null)[] = [];
  private seq = 0;
  private changeCount = 0;
  /** called once per destroyed segment: fs/ frees its memory */
  onDestroy: (seg: SysvSegment) => void = () => {};

  constructor(
    readonly limits: ShmLimits = SHM_LIMITS,
    private readonly quota: ShmQuota,
    private readonly now: () => number = Date.now,
  ) {}

  get(id: number): SysvSegment | undefined {
    return this.byId.get(id);
  }

  lookupKey(key: number): SysvSegment | undefined {
    return this.byKey.get(key);
  }

  /** Grows at each creation and destruction: a reader that keeps a list of the segments knows when it is stale. */
  get changes(): number {
    return this.changeCount;
  }

  /** The segments in creation order, lazily (a live iterator). */
  values(): IterableIterator<SysvSegment> {
    return this.byId.values();
  }

  /**
   * shmget(key, size, shmflg): flags are IPC_CREAT | IPC_EXCL | mode. Linux's order (ipc/util.c
   * ipcget_public, ipc/shm.c newseg and shm_more_checks): an existing key: EEXIST with IPC_CREAT |
   * IPC_EXCL, then EINVAL for a size larger than the segment's, then EACCES; no such key: ENOENT
   * without IPC_CREAT; a new segment: EINVAL outside SHMMIN..SHMMAX, then ENOSPC past SHMALL
   * pages or SHMMNI segments (ENOMEM past the creator's own page limit); nothing changes on failure.
   */
  shmget(key: number, size: number, flags: number, who: Creator): SysvSegment {
    if (!Number.isSafeInteger(size) || size < 0) fail(Errno.EINVAL, `size must be an integer in 0..${Number.MAX_SAFE_INTEGER}`);
    if (key !== IPC_PRIVATE) {
      const found = this.byKey.get(key);
      if (found) {
        if (flags & IPC_CREAT && flags & IPC_EXCL) fail(Errno.EEXIST, `key 0x${(key >>> 0).toString(16)} exists`);
        if (found.ds.segsz < size) fail(Errno.EINVAL, `segment 0x${(key >>> 0).toString(16)} has ${found.ds.segsz} bytes, fewer than ${size}`);
        checkPerm(found.ds.perm, who, (flags >> 6) & 0o7 | (flags >> 3) & 0o7 | flags & 0o7, 'shmget');
        return found;
      }
      if (!(flags & IPC_CREAT)) fail(Errno.ENOENT, `no segment with key 0x${(key >>> 0).toString(16)}`);
    }
    return this.newSegment(key, size, flags, who);
  }

  private newSegment(key: number, size: number, flags: number, who: Creator): SysvSegment {
    const l = this.limits;
    if (size < l.shmmin || size > l.shmmax) fail(Errno.EINVAL, `size ${size} outside SHMMIN..SHMMAX (${l.shmmin}..${l.shmmax})`);
    const pages = pagesOf(size, l.pageSize);
    // SHMALL (pages) before SHMMNI, as newseg (shm_tot) before ipc_addid
    const charge = this.quota.charge(who.uid, { shmPages: pages }, 'shmget');
    let more: ShmCharge;
    try {
      more = this.quota.charge(who.uid, { objects: 1, shmSegments: 1 }, 'shmget');
    } catch (err) {
      charge.release();
      throw err;
    }
    const both: ShmCharge = { release: () => (charge.release(), more.release()) };
    let slot = this.slots.indexOf(null);
    if (slot < 0) slot = this.slots.length;
    const id = slot + SEQ_MULTIPLIER * (this.seq++ % 65536);
    const perm: IpcPerm = { uid: who.uid, gid: who.gid, cuid: who.uid, cgid: who.gid, mode: flags & 0o777 };
    const seg = new SysvSegment(id, key, perm, size, who.pid, pages, both, this.now());
    this.slots[slot] = seg;
    this.byId.set(id, seg);
    if (key !== IPC_PRIVATE) this.byKey.set(key, seg);
    this.changeCount++;
    return seg;
  }

  /**
   * An open of the segment's file (shmat): permission as shmat's (read, and write unless
   * read-only) is the caller's (fs/ checks ipcperms on OPEN); EIDRM once destroyed.
   */
  attach(seg: SysvSegment, pid: number): void {
    if (seg.gone) fail(Errno.EIDRM, `segment ${seg.id} was removed`);
    seg.ds.nattch++;
    if (pid > 0) seg.ds.lpid = pid;
    seg.ds.atimeMs = this.now();
    seg.changed();
  }

  /** The RELEASE of an attach (shmdt): destroys a SHM_DEST segment at nattch 0. pid 0 = unknown. */
  detach(seg: SysvSegment, pid: number): void {
    if (seg.ds.nattch === 0) return;
    seg.ds.nattch--;
    if (pid > 0) seg.ds.lpid = pid;
    seg.ds.dtimeMs = this.now();
    seg.changed();
    if (seg.dest && seg.ds.nattch === 0) this.destroy(seg);
  }

  /**
   * IPC_RMID: owner, creator or root (EPERM). Marks SHM_DEST and makes the key private (shmget
   * no longer finds it); destroyed at once when nothing is attached, else at the last detach.
   */
  rmid(seg: SysvSegment, who: Who): void {
    if (seg.gone) fail(Errno.EIDRM, `segment ${seg.id} was removed`);
    checkOwner(seg.ds.perm, who, 'IPC_RMID');
    this.remove(seg);
  }

  /**
   * IPC_RMID once the caller's right was checked (fs/kinds' directories check owner, creator or
   * root before `rm` calls it): SHM_DEST and a private key; destroyed now if nothing is attached.
   */
  remove(seg: SysvSegment): void {
    if (seg.gone) return;
    if (!seg.dest) {
      seg.ds.perm.mode |= SHM_DEST;
      if (this.byKey.get(seg.key) === seg) this.byKey.delete(seg.key);
      seg.key = IPC_PRIVATE;
      seg.ds.ctimeMs = this.now();
    }
    seg.changed();
    if (seg.ds.nattch === 0) this.destroy(seg);
  }

  /** IPC_SET: uid, gid, the low 9 bits of mode (SHM_DEST stays); ctime changes. */
  set(seg: SysvSegment, who: Who, change: { uid?: number; gid?: number; mode?: number }): void {
    if (seg.gone) fail(Errno.EIDRM, `segment ${seg.id} was removed`);
    ipcSet(seg.ds.perm, who, change);
    seg.ds.ctimeMs = this.now();
    seg.changed();
  }

  private destroy(seg: SysvSegment): void {
    if (seg.gone) return;
    seg.markDestroyed();
    this.byId.delete(seg.id);
    this.changeCount++;
    if (this.byKey.get(seg.key) === seg) this.byKey.delete(seg.key);
    this.slots[seg.id % SEQ_MULTIPLIER] = null;
    seg.charge.release();
    seg.changed();
    this.onDestroy(seg);
  }
}
