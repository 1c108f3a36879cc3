/**
 * Linux's System V message queue limits, with Linux's names and defaults
 * (include/uapi/linux/msg.h: MSGMNI 32000, MSGMAX 8192, MSGMNB 16384; ipc/msg.c msg_init_ns copies
 * them into the namespace's msg_ctlmni, msg_ctlmax, msg_ctlmnb, the /proc/sys/kernel/msg* knobs).
 *
 * MSGMNI is a quota resource (queues that exist, ENOSPC past it, as newque through ipc_addid);
 * MSGMAX and MSGMNB are plain limits read by the queue itself. ipc/limits.ts merges MSG_LIMITS
 * into the daemon's Limits and adds `msgQueues: obj(l.msgmni, Infinity, ...)` to quotaFor.
 */
export interface MsgLimits {
  /** max queues system-wide (msg_ctlmni) */
  msgmni: number;
  /** max bytes of one message (msg_ctlmax): msgsnd past it is EINVAL */
  msgmax: number;
  /** a new queue's msg_qbytes, and the most IPC_SET may set without CAP_SYS_RESOURCE (msg_ctlmnb) */
  msgmnb: number;
}

export const MSG_LIMITS: Readonly<MsgLimits> = Object.freeze({
  msgmni: 32000,
  msgmax: 8192,
  msgmnb: 16384,
});

/** Names on the command line and in limits/ipcfs, as /proc/sys/kernel names them. */
export const MSG_LIMIT_NAMES: Readonly<Record<keyof MsgLimits, string>> = Object.freeze({
  msgmni: 'msgmni',
  msgmax: 'msgmax',
  msgmnb: 'msgmnb',
});

/** Largest values: MSGMNI <= IPCMNI (32768, ipc/util.h without ipcmni_extend), the others <= INT_MAX. */
export const MSG_LIMIT_MAX: Readonly<Record<keyof MsgLimits, number>> = Object.freeze({
  msgmni: 32768,
  msgmax: 2147483647,
  msgmnb: 2147483647,
});

/** The quota resource that counts System V message queues (MSGMNI). */
export const MSG_QUEUES_RESOURCE = 'msgQueues';
