/**
 * The System V message queues that exist, by key and id (msgget semantics: ipc/msg.c ksys_msgget
 * through ipcget, newque). Charges each queue to its creator: one object and one of MSGMNI
 * (ENOSPC past either, as ipc_addid), given back on removal.
 */
import { Errno, fail } from '../errno.js';
import { Quota, type Charge } from '../quota.js';
import { checkOwner, type Who } from '../semaphores/perms.js';
import { newPerm, SysvIds } from '../sysv-ids.js';
import { MSG_LIMITS, type MsgLimits } from './limits.js';
import { MsgQueue, type Caller } from './msg-queue.js';

export { IPC_CREAT, IPC_EXCL, IPC_PRIVATE } from '../sysv-ids.js';

/** What the registry charges: ipc/limits.ts's IpcQuota once it has msgQueues. */
export interface MsgQuota {
  charge(uid: number, amounts: { objects: number; msgQueues: number }, what?: string): Charge;
}

export interface SysvMsgQueue {
  readonly id: number;
  readonly key: number;
  readonly queue: MsgQueue;
  /** its creator's charge (objects, msgQueues); released when it is removed */
  readonly charge: Charge;
}

/** A quota of its own when the daemon gives none: MSGMNI queues, no other limit. */
function ownQuota(limits: MsgLimits): MsgQuota {
  const obj = (global: number, label: string) => ({ global, perUid: Infinity, globalErrno: Errno.ENOSPC, uidErrno: Errno.ENOSPC, label });
  return new Quota<'objects' | 'msgQueues'>({ objects: obj(Infinity, 'objects'), msgQueues: obj(limits.msgmni, 'MSGMNI (System V message queues)') });
}

export class MsgRegistry {
  private readonly ids = new SysvIds<SysvMsgQueue>();

  constructor(
    readonly limits: MsgLimits = MSG_LIMITS,
    private readonly now: () => number = Date.now,
    readonly quota: MsgQuota = ownQuota(limits),
  ) {}

  get(id: number): SysvMsgQueue | undefined {
    return this.ids.get(id);
  }

  lookupKey(key: number): SysvMsgQueue | undefined {
    return this.ids.lookupKey(key | 0);
  }

  /** Grows at each creation and removal (SysvIds.changes). */
  get changes(): number {
    return this.ids.changes;
  }

  /** The queues in creation order, lazily. */
  values(): IterableIterator<SysvMsgQueue> {
    return this.ids.values();
  }

  get size(): number {
    return this.ids.size;
  }

  /**
   * msgget(key, msgflg): flags are IPC_CREAT | IPC_EXCL | mode. EEXIST, EACCES, ENOENT as ipcget;
   * ENOSPC past MSGMNI or the creator's object limit (nothing changes).
   */
  msgget(key: number, flags: number, who: Caller): SysvMsgQueue {
    if (!Number.isInteger(key) || key < -0x80000000 || key > 0xffffffff) fail(Errno.EINVAL, `key ${key}: not a 32-bit key`);
    key = key | 0; // key_t is an int: 0xffffffff and -1 are the same key
    const found = this.ids.existing(key, flags, who, (q) => q.queue.perm, 'msgget', 'queue');
    if (found) return found;
    const charge = this.quota.charge(who.uid, { objects: 1, msgQueues: 1 }, 'msgget');
    const { msgmnb, msgmax } = this.limits;
    return this.ids.add(key, (id) => ({ id, key, charge, queue: new MsgQueue(newPerm(who, flags), { qbytes: msgmnb, msgmnb, msgmax, now: this.now }) }));
  }

  /** msgctl(IPC_RMID): EPERM unless the owner, the creator or root; every waiter gets EIDRM. */
  rmid(q: SysvMsgQueue, who: Who): void {
    if (q.queue.removed) fail(Errno.EIDRM, 'queue removed');
    checkOwner(q.queue.perm, who, 'IPC_RMID');
    this.remove(q);
  }

  /** Removal without a permission check (the caller checked, or the daemon shuts down). */
  remove(q: SysvMsgQueue): void {
    if (!this.ids.remove(q)) return;
    q.charge.release();
    q.queue.remove();
  }
}
