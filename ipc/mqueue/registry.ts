/**
 * The POSIX message queues that exist, by full name ('/app/jobs': subdirectories are the fs
 * layer's; the registry only keys on the whole name). mq_open's O_CREAT/O_EXCL rules, mq_unlink,
 * and the charges of a queue, kept as Linux keeps them: a queue's charge (queues_max's count and
 * its creator's RLIMIT_MSGQUEUE bytes) is taken at creation and given back when the queue is both
 * unlinked and unused (mqueue_evict_inode), not at unlink: users of an unlinked queue keep it whole.
 *
 * Permissions (the file's mode against the opener, the owner check of unlink) are the fs layer's,
 * as are names: this is bookkeeping only.
 */
import { Errno, fail } from '../errno.js';
import type { Charge } from '../quota.js';
import { ROOT_UID } from '../quota.js';
import type { Who } from '../semaphores/perms.js';
import { checkAttr, defaultAttr, LINUX_MQ_LIMITS, MQ_LIMITS, mqBytes, mqQuotaFor, type MqAttr, type MqLimits, type MqQuota } from './limits.js';
import { MessageQueue } from './queue.js';

export const O_CREAT = 0o100;
export const O_EXCL = 0o200;

export interface PosixQueue {
  /** the full name it was created under (it keeps it after unlink, for logs and status) */
  readonly name: string;
  readonly queue: MessageQueue;
  /** owner and mode as created (the fs layer may change them: chmod/chown of the file) */
  uid: number;
  gid: number;
  mode: number;
  /** what its creator was charged; released when unlinked and unused */
  readonly charge: Charge<string>;
  /** open handles (and anything else the fs layer holds it for) */
  users: number;
  /** the name no longer leads to it */
  unlinked: boolean;
}

export class MqRegistry {
  private readonly byName = new Map<string, PosixQueue>();

  constructor(
    readonly limits: MqLimits = LINUX_MQ_LIMITS,
    readonly quota: MqQuota = mqQuotaFor(MQ_LIMITS.defaults),
    private readonly now: () => number = Date.now,
  ) {}

  lookup(name: string): PosixQueue | undefined {
    return this.byName.get(name);
  }

  /** Linked queues in creation order (a live iterator, Map order). */
  values(): IterableIterator<PosixQueue> {
    return this.byName.values();
  }

  get size(): number {
    return this.byName.size;
  }

  /**
   * mq_open(name, flags, mode, attr): an existing queue (EEXIST with O_CREAT|O_EXCL), or without
   * O_CREAT ENOENT; else a new one, in Linux's order: EINVAL (mq_attr_ok, attr given), ENOSPC
   * (queues_max, root passes; or the daemon's objects limit), EMFILE (the creator's
   * RLIMIT_MSGQUEUE bytes). Nothing changes on a refusal. The caller holds the queue it gets
   * (users + 1) and gives it back with close().
   */
  open(name: string, flags: number, mode: number, attr: MqAttr | null, who: Who): { entry: PosixQueue; created: boolean } {
    const found = this.byName.get(name);
    if (found) {
      if (flags & O_CREAT && flags & O_EXCL) fail(Errno.EEXIST, `queue ${name} exists`);
      found.users++;
      return { entry: found, created: false };
    }
    if (!(flags & O_CREAT)) fail(Errno.ENOENT, `no queue ${name}`);
    const a = attr ? { maxmsg: attr.maxmsg, msgsize: attr.msgsize } : defaultAttr(this.limits);
    if (attr) checkAttr(a, this.limits, who.uid);
    if (who.uid !== ROOT_UID && this.quota.used('mqQueues') >= this.limits.queuesMax) fail(Errno.ENOSPC, `mq_open: queues_max (${this.limits.queuesMax}) reached`);
    const charge = this.quota.charge(who.uid, { objects: 1, mqQueues: 1, mqBytes: mqBytes(a) }, 'mq_open');
    const entry: PosixQueue = { name, queue: new MessageQueue(a, this.now), uid: who.uid, gid: who.gid, mode: mode & 0o7777, charge, users: 1, unlinked: false };
    this.byName.set(name, entry);
    return { entry, created: true };
  }

  /** One more user of entry (the fs layer's, beside open handles). */
  hold(entry: PosixQueue): void {
    entry.users++;
  }

  /** A user is done (handle released): an unlinked queue nobody uses gives its charge back. */
  close(entry: PosixQueue): void {
    if (entry.users <= 0) return;
    entry.users--;
    this.settle(entry);
  }

  /** mq_unlink: the name goes (ENOENT if none); users keep the queue until they close it. */
  unlink(name: string): PosixQueue {
    const entry = this.byName.get(name);
    if (!entry) fail(Errno.ENOENT, `no queue ${name}`);
    this.byName.delete(name);
    entry.unlinked = true;
    this.settle(entry);
    return entry;
  }

  private settle(entry: PosixQueue): void {
    if (entry.unlinked && entry.users === 0) entry.charge.release();
  }
}
