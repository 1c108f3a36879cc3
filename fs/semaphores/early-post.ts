/**
 * Keeps a semaphore object's early reply (fuse/early-replies.ts) armed with the waiter a bare `post`
 * would complete: SemSet.postHandoff says which, when that is certain. Re-armed after every change
 * of the set (its watchers run after each one) and of its permissions (SemFile, SemHandle call
 * rearm). One per object while any of its handles is open.
 */
import { ALTER } from '../../ipc/semaphores/perms.js';
import type { EarlyReplies } from '../fuse/early-replies.js';
import type { SemObject } from './sem-file.js';

/** What sem-file.ts tags a waiter with: the request to answer and the value it completes with. */
export interface WaitTag {
  unique: number;
  value: number;
}

/** The bytes that fire it: the bare command, as parseCommand's fast path takes it. */
const POST = 'post';

export class EarlyPost {
  private handles = 0;
  private readonly watcher = (): void => this.rearm();

  constructor(private readonly obj: SemObject, private readonly early: EarlyReplies) {}

  /** A handle of the object opened: the first starts watching. */
  retain(): void {
    if (this.handles++ === 0) this.obj.set.watchers.add(this.watcher);
  }

  /** A handle released: the last stops watching, disarms and lets the object go. */
  drop(): void {
    if (--this.handles > 0) return;
    this.obj.set.watchers.delete(this.watcher);
    this.early.disarm(this.obj);
    byObject.delete(this.obj);
  }

  rearm(): void {
    const w = this.obj.set.postHandoff();
    const tag = w?.tag as WaitTag | null | undefined;
    if (!tag) return this.early.disarm(this.obj);
    const { uid, cuid, gid, cgid, mode } = this.obj.perm;
    this.early.arm(this.obj, tag.unique, tag.value, POST, { uid, cuid, gid, cgid, mode, want: ALTER });
  }
}

const byObject = new WeakMap<SemObject, EarlyPost>();

/** The object's EarlyPost while it has open handles, made with the first. */
export function earlyPostOf(obj: SemObject, early: EarlyReplies): EarlyPost {
  let e = byObject.get(obj);
  if (!e) {
    e = new EarlyPost(obj, early);
    byObject.set(obj, e);
  }
  return e;
}

/** Re-arms after a permission change (no-op when no handle is open). */
export function rearmEarlyPost(obj: SemObject): void {
  byObject.get(obj)?.rearm();
}
