/**
 * POSIX message queue limits and the attribute rules of mq_open, as Linux has them:
 * - defaults and unprivileged maxima: /proc/sys/fs/mqueue (ipc/mq_sysctl.c, initial values
 *   DFLT_* in include/linux/ipc_namespace.h);
 * - hard maxima even root cannot pass: HARD_MSGMAX, HARD_MSGSIZEMAX (include/linux/ipc_namespace.h);
 * - MQ_PRIO_MAX and RLIMIT_MSGQUEUE's default MQ_BYTES_MAX (include/uapi/linux/mqueue.h);
 * - mq_attr_ok and the per-user byte accounting of mqueue_get_inode (ipc/mqueue.c).
 *
 * Root (uid 0) stands in for CAP_SYS_RESOURCE: it may pass msg_max and msgsize_max up to the hard
 * maxima, and queues_max. RLIMIT_MSGQUEUE is modelled as the per-uid limit of the quota resource
 * `mqBytes`, from which ipc/quota.ts exempts root (Linux checks root's rlimit too, but root may
 * raise it: the quota's rule for every RLIMIT-like limit of the daemon).
 */
import { Errno, fail } from '../errno.js';
import { Quota, ROOT_UID, type Amounts, type Charge, type ResourceLimit } from '../quota.js';

/** mq_send priorities are 0..MQ_PRIO_MAX-1 */
export const MQ_PRIO_MAX = 32768;
/** RLIMIT_MSGQUEUE's default (per user, bytes) */
export const MQ_BYTES_MAX = 819200;
export const HARD_MSGMAX = 65536;
export const HARD_MSGSIZEMAX = 16 * 1024 * 1024;
/** the sysctls' lower bounds (msg_max and msg_default; msgsize_max and msgsize_default) */
export const MIN_MSGMAX = 1;
export const MIN_MSGSIZEMAX = 128;

/**
 * What mq_bytes charges per message slot and per possible priority: sizeof(struct msg_msg) and
 * sizeof(struct posix_msg_tree_node) on 64-bit Linux (both 48 bytes). A test compares the
 * resulting formula with the kernel's own RLIMIT_MSGQUEUE refusal at run time.
 */
export const MSG_MSG_SIZE = 48;
export const TREE_NODE_SIZE = 48;

/** /proc/sys/fs/mqueue, settable per mount. */
export interface MqLimits {
  /** maxmsg of a queue created without attributes (min'ed with msgMax, as Linux does) */
  msgDefault: number;
  /** msgsize of a queue created without attributes (min'ed with msgsizeMax) */
  msgsizeDefault: number;
  /** largest maxmsg an unprivileged creator may ask for */
  msgMax: number;
  /** largest msgsize an unprivileged creator may ask for */
  msgsizeMax: number;
  /** queues of all users; root may pass it */
  queuesMax: number;
}

export const LINUX_MQ_LIMITS: Readonly<MqLimits> = Object.freeze({
  msgDefault: 10,
  msgsizeDefault: 8192,
  msgMax: 10,
  msgsizeMax: 8192,
  queuesMax: 256,
});

/** A queue's fixed attributes (mq_flags is per handle, mq_curmsgs is state). */
export interface MqAttr {
  maxmsg: number;
  msgsize: number;
}

/** The attributes of a queue created with no mq_attr (mqueue_get_inode). */
export function defaultAttr(l: MqLimits): MqAttr {
  return { maxmsg: Math.min(l.msgMax, l.msgDefault), msgsize: Math.min(l.msgsizeMax, l.msgsizeDefault) };
}

/**
 * mq_attr_ok: EINVAL for a non-positive (or non-integer) maxmsg or msgsize, or one above the
 * unprivileged maxima (root: above the hard maxima). Linux's EOVERFLOW cases (maxmsg * msgsize
 * past ULONG_MAX) cannot happen within the hard maxima on 64 bits, so they have no branch here.
 */
export function checkAttr(attr: MqAttr, l: MqLimits, uid: number): void {
  const { maxmsg, msgsize } = attr;
  if (!Number.isSafeInteger(maxmsg) || !Number.isSafeInteger(msgsize) || maxmsg <= 0 || msgsize <= 0) {
    fail(Errno.EINVAL, `mq_open: maxmsg (${maxmsg}) and msgsize (${msgsize}) must be positive integers`);
  }
  const [maxMsg, maxSize, which] = uid === ROOT_UID ? [HARD_MSGMAX, HARD_MSGSIZEMAX, 'hard maxima'] : [l.msgMax, l.msgsizeMax, 'msg_max/msgsize_max'];
  if (maxmsg > maxMsg || msgsize > maxSize) fail(Errno.EINVAL, `mq_open: maxmsg ${maxmsg} / msgsize ${msgsize} above the ${which} (${maxMsg} / ${maxSize})`);
}

/**
 * What a queue costs its creator against RLIMIT_MSGQUEUE (mqueue_get_inode's mq_bytes): every
 * message slot at full size, a msg_msg per slot, and a tree node per priority that could be in use.
 */
export function mqBytes(attr: MqAttr): number {
  return attr.maxmsg * attr.msgsize + attr.maxmsg * MSG_MSG_SIZE + Math.min(attr.maxmsg, MQ_PRIO_MAX) * TREE_NODE_SIZE;
}

/**
 * Proposal for ipc/limits.ts (the lead merges it): the message-queue limits by the names
 * `ipcfs mount --limits` would use (Linux's sysctl names under /proc/sys/fs/mqueue, plus the
 * RLIMIT and the daemon's own bound), their defaults and allowed ranges (mq_sysctl.c's: msg_max
 * and msg_default 1..HARD_MSGMAX, msgsize_max and msgsize_default 128..HARD_MSGSIZEMAX,
 * queues_max any int), and the quota resources they become (mqResourceLimits).
 */
export interface MqQuotaLimits {
  /** RLIMIT_MSGQUEUE of every uid but root (bytes of mq_bytes) */
  uidMqBytes: number;
  /** ipcfs's own bound on all queues' mq_bytes together, root's included */
  mqBytes: number;
}

export const MQ_LIMITS = Object.freeze({
  defaults: Object.freeze({ ...LINUX_MQ_LIMITS, uidMqBytes: MQ_BYTES_MAX, mqBytes: Infinity }),
  names: Object.freeze({
    msgDefault: 'msg_default',
    msgsizeDefault: 'msgsize_default',
    msgMax: 'msg_max',
    msgsizeMax: 'msgsize_max',
    queuesMax: 'queues_max',
    uidMqBytes: 'uid-mq-bytes',
    mqBytes: 'mq-bytes',
  }),
  min: Object.freeze({ msgDefault: MIN_MSGMAX, msgsizeDefault: MIN_MSGSIZEMAX, msgMax: MIN_MSGMAX, msgsizeMax: MIN_MSGSIZEMAX }),
  max: Object.freeze({ msgDefault: HARD_MSGMAX, msgsizeDefault: HARD_MSGSIZEMAX, msgMax: HARD_MSGMAX, msgsizeMax: HARD_MSGSIZEMAX, queuesMax: 2147483647 }),
});

export type MqResource = 'objects' | 'mqQueues' | 'mqBytes';

/**
 * The quota resources of message queues, for ipc/limits.ts's quotaFor:
 *  - `mqQueues`: one per queue. Linux lets root pass queues_max, which a Quota global limit
 *    cannot express (it binds root too), so MqRegistry checks queues_max itself for non-root
 *    callers against this count; the resource itself is unlimited. Every queue also takes one
 *    of the shared `objects`.
 *  - `mqBytes`: mqBytes(attr) per queue: per uid RLIMIT_MSGQUEUE (EMFILE, as mq_open; root
 *    exempt as with every per-uid limit), globally the daemon's own bound (ENOMEM; Infinity by
 *    default: uid-mq-bytes and `objects` already bound unprivileged users).
 */
export function mqResourceLimits(l: MqQuotaLimits): Record<'mqQueues' | 'mqBytes', ResourceLimit> {
  return {
    mqQueues: { global: Infinity, perUid: Infinity, globalErrno: Errno.ENOSPC, uidErrno: Errno.ENOSPC, label: 'POSIX message queues' },
    mqBytes: { global: l.mqBytes, perUid: l.uidMqBytes, globalErrno: Errno.ENOMEM, uidErrno: Errno.EMFILE, label: 'RLIMIT_MSGQUEUE (message queue bytes)' },
  };
}

/** What the registry needs of a quota: ipc/limits.ts's IpcQuota once these resources are merged there. */
export interface MqQuota {
  charge(uid: number, amounts: Amounts<MqResource>, what?: string): Charge<string>;
  used(r: MqResource): number;
}

/** A quota of the message-queue resources alone (tests, and until the lead's merge). */
export function mqQuotaFor(l: MqQuotaLimits & { objects?: number; uidObjects?: number }): Quota<MqResource> {
  return new Quota<MqResource>({
    objects: { global: l.objects ?? Infinity, perUid: l.uidObjects ?? Infinity, globalErrno: Errno.ENOSPC, uidErrno: Errno.ENOSPC, label: 'objects' },
    ...mqResourceLimits(l),
  });
}
