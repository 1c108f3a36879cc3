/**
 * System V IPC identifiers shared by every System V kind (ipc/util.c): keys, IPC_PRIVATE,
 * IPC_CREAT/IPC_EXCL, and ids built as Linux's ipc_buildid does (slot + SEQ_MULTIPLIER * sequence,
 * the lowest free slot, a sequence that grows with each creation), so that a removed object's id
 * is not reused at once. Pure bookkeeping; the kinds check their own limits and charges.
 */
import { Errno, fail } from './errno.js';
import { checkPerm, type IpcPerm, type Who } from './semaphores/perms.js';

export const IPC_PRIVATE = 0;
export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
/** Linux's id = slot + SEQ_MULTIPLIER * sequence (IPCMNI_SHIFT 15) */
export const SEQ_MULTIPLIER = 32768;
/** sequence numbers wrap here (ipc_mni_shift: INT_MAX >> 15) */
const SEQ_WRAP = 65536;

export interface SysvObject {
  readonly id: number;
  readonly key: number;
}

/** What ipcperms asks of an existing object for flags: any of the requested bits in any class. */
export function requestedMode(flags: number): number {
  return ((flags >> 6) & 0o7) | ((flags >> 3) & 0o7) | (flags & 0o7);
}

/** A new object's ipc_perm: owner and creator who, mode's low 9 bits. */
export function newPerm(who: Who, mode: number): IpcPerm {
  return { uid: who.uid, gid: who.gid, cuid: who.uid, cgid: who.gid, mode: mode & 0o777 };
}

export class SysvIds<T extends SysvObject> {
  private readonly byId = new Map<number, T>();
  private readonly byKey = new Map<number, T>();
  private readonly slots: (T | null)[] = [];
  private seq = 0;
  private changeCount = 0;

  /** Grows at each add and remove: a reader that keeps a list of the objects knows when it is stale. */
  get changes(): number {
    return this.changeCount;
  }

  get(id: number): T | undefined {
    return this.byId.get(id);
  }

  lookupKey(key: number): T | undefined {
    return this.byKey.get(key);
  }

  get size(): number {
    return this.byId.size;
  }

  /** In creation order, lazily (a live iterator sees removals and appends). */
  values(): IterableIterator<T> {
    return this.byId.values();
  }

  /**
   * ipcget's key half: the existing object for key (EEXIST with IPC_CREAT|IPC_EXCL, EACCES when
   * flags ask what its mode does not grant), or null when a new one must be made (IPC_PRIVATE, or
   * IPC_CREAT); ENOENT when there is none and no IPC_CREAT.
   */
  existing(key: number, flags: number, who: Who, permOf: (t: T) => IpcPerm, what: string, noun = 'object'): T | null {
    if (key === IPC_PRIVATE) return null;
    const found = this.byKey.get(key);
    if (found) {
      if (flags & IPC_CREAT && flags & IPC_EXCL) fail(Errno.EEXIST, `key 0x${(key >>> 0).toString(16)} exists`);
      checkPerm(permOf(found), who, requestedMode(flags), what);
      return found;
    }
    if (!(flags & IPC_CREAT)) fail(Errno.ENOENT, `no ${noun} with key 0x${(key >>> 0).toString(16)}`);
    return null;
  }

  /** ipc_addid: the next id (lowest free slot, next sequence); make builds the object with it. */
  add(key: number, make: (id: number) => T): T {
    let slot = this.slots.indexOf(null);
    if (slot < 0) slot = this.slots.length;
    const id = slot + SEQ_MULTIPLIER * (this.seq++ % SEQ_WRAP);
    const t = make(id);
    this.slots[slot] = t;
    this.byId.set(id, t);
    if (key !== IPC_PRIVATE) this.byKey.set(key, t);
    this.changeCount++;
    return t;
  }

  /** ipc_rmid: the id and key go; false when t was not (or no longer) registered. */
  remove(t: T): boolean {
    if (this.byId.get(t.id) !== t) return false;
    this.byId.delete(t.id);
    if (this.byKey.get(t.key) === t) this.byKey.delete(t.key);
    this.slots[t.id % SEQ_MULTIPLIER] = null;
    this.changeCount++;
    return true;
  }
}
