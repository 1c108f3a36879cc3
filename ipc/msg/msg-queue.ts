/**
 * A System V message queue with Linux's msgsnd(2)/msgrcv(2)/msgctl(2) semantics, plus robust
 * receive (messages held by a handle until acknowledged). Pure state: no timers, no I/O. A call that
 * has to sleep gets a Waiter completed through `done(errno)` (0 = success; a receiver's message is
 * in `result`); timeouts and signals are the caller's, through cancel() (a cancelled wait takes
 * nothing).
 *
 * Semantics follow ipc/msg.c (do_msgsnd, do_msgrcv, pipelined_send, ss_wakeup, expunge_all,
 * find_msg, msgctl_down) step by step, because who gets a message is visible:
 * - a send fits when cbytes + size <= qbytes and qnum + 1 <= qbytes (msg_fits_inqueue); before
 *   queueing, a message goes straight to the first waiting receiver whose type filter takes it
 *   (pipelined_send): a receiver whose buffer is too small (and without MSG_NOERROR) is answered
 *   E2BIG on the way and the message goes on down the list; a pipelined message never counts in
 *   cbytes/qnum, but sets lrpid/rtime as a receive does;
 * - receive: msgtyp 0 the first message, > 0 the first of that type (MSG_EXCEPT: of another type),
 *   < 0 the first of the lowest type <= |msgtyp|; a too-long message without MSG_NOERROR is E2BIG
 *   and stays queued; MSG_COPY copies message number msgtyp without taking it;
 * - when room appears, waiting senders whose message now fits are woken in their order and each
 *   retries (checking its permission again); the others move to the tail in their order
 *   (ss_wakeup). Linux wakes them all and lets the scheduler order their retries; here they retry
 *   at once in list order, which is one of the orders Linux allows;
 * - IPC_SET wakes every receiver to check its permission again (expunge_all(-EAGAIN): they keep
 *   their order, those that lost read permission get EACCES) and wakes the senders that fit;
 * - IPC_RMID completes every waiter with EIDRM.
 * Completions are delivered after the whole change, as Linux's wake_q, then `watchers` run.
 *
 * Robust receive (ipcfs's own): a receive with a MsgHolder keeps the message *held* by that holder
 * until `ack(id)`; releasing the holder puts every unacknowledged message back at its place.
 * - Place: every message gets an arrival number (`id`, increasing per queue) when its send
 *   commits; the queue is always in arrival order, and a returned message goes before the queued
 *   messages that arrived after it — where it would be had it never been received.
 * - Room: held messages keep counting against msg_qbytes (the fit check uses queued + held), so a
 *   returned message always has room, never waits and never overfills the queue, and a receiver
 *   that takes without acknowledging cannot make the daemon hold more than msg_qbytes per queue.
 *   msg_cbytes and msg_qnum stay Linux's (queued messages only); held ones are counted apart.
 * - After messages return, waiting receivers retry in their order (as if they had just called).
 */
import { Errno, fail } from '../errno.js';
import { ALTER, checkId, checkOwner, permitted, READ, type IpcPerm, type Who } from '../semaphores/perms.js';
import type { MsgHolder } from './holder.js';

/** msgflg bits, as in include/uapi/linux/ipc.h and msg.h */
export const IPC_NOWAIT = 0o4000;
export const MSG_NOERROR = 0o10000;
export const MSG_EXCEPT = 0o20000;
export const MSG_COPY = 0o40000;

/** Who calls: credentials for ipcperms and the pid recorded as lspid/lrpid. */
export interface Caller extends Who {
  pid: number;
}

export interface Message {
  /** arrival number: the message's place in the queue, and its id for ack() */
  readonly id: number;
  readonly type: number;
  readonly data: Buffer;
}

export interface Held {
  readonly message: Message;
  readonly holder: MsgHolder;
  /** the receiving caller's pid */
  readonly pid: number;
  /** when it was received (now() units) */
  readonly at: number;
}

/** What a receive gives: the type, the text (truncated to the buffer with MSG_NOERROR). */
export interface Received {
  /** arrival number; for a held message, what ack() takes */
  id: number;
  type: number;
  data: Buffer;
  /** the full size of the message (data may be shorter with MSG_NOERROR) */
  size: number;
  held: boolean;
}

export interface SendOptions {
  /** IPC_NOWAIT: EAGAIN instead of waiting for room */
  nowait?: boolean;
}

export interface ReceiveOptions {
  /** the caller's buffer (msgsz of msgrcv) */
  maxSize: number;
  /** msgtyp of msgrcv; 0 when absent */
  type?: number;
  nowait?: boolean;
  /** MSG_NOERROR: truncate a longer message instead of E2BIG */
  noerror?: boolean;
  /** MSG_EXCEPT: with type > 0, the first message of another type */
  except?: boolean;
  /** MSG_COPY: copy message number `type` (from 0) without taking it; needs nowait, not except */
  copy?: boolean;
}

/** find_msg's modes (SEARCH_* of ipc/msg.c) */
export type SearchMode = 'any' | 'equal' | 'notequal' | 'lessequal' | 'number';

export class MsgWaiter {
  queued = true;
  constructor(
    readonly who: Caller,
    readonly done: (errno: number) => void,
    /** the caller's, opaque here */
    readonly tag: unknown,
  ) {}
}

export class SendWaiter extends MsgWaiter {
  readonly kind = 'send';
  constructor(readonly type: number, readonly data: Buffer, who: Caller, done: (errno: number) => void, tag: unknown) {
    super(who, done, tag);
  }
}

export class ReceiveWaiter extends MsgWaiter {
  readonly kind = 'receive';
  /** the message, once done(0) */
  result: Received | null = null;
  constructor(
    readonly mode: SearchMode,
    /** msgtyp as find_msg uses it (|msgtyp| for lessequal) */
    readonly type: number,
    readonly maxSize: number,
    readonly noerror: boolean,
    readonly holder: MsgHolder | null,
    who: Caller,
    done: (errno: number) => void,
    tag: unknown,
  ) {
    super(who, done, tag);
  }
}

export interface MsgQueueOptions {
  /** initial msg_qbytes (MSGMNB) */
  qbytes: number;
  /** MSGMAX: largest message */
  msgmax: number;
  /** the most IPC_SET may set msg_qbytes to without root (MSGMNB) */
  msgmnb: number;
  now?: () => number;
}

/** msqid_ds, plus what only ipcfs has */
export interface MsqidDs {
  perm: Readonly<IpcPerm>;
  stime: number;
  rtime: number;
  ctime: number;
  cbytes: number;
  qnum: number;
  qbytes: number;
  lspid: number;
  lrpid: number;
  /** held (received, not acknowledged) messages and their bytes */
  hnum: number;
  hbytes: number;
  senders: number;
  receivers: number;
}

/** convert_mode: msgtyp and flags to find_msg's mode and type. */
export function searchMode(type: number, except: boolean, copy: boolean): { mode: SearchMode; type: number } {
  if (copy) return { mode: 'number', type };
  if (type === 0) return { mode: 'any', type };
  if (type < 0) return { mode: 'lessequal', type: -type };
  return { mode: except ? 'notequal' : 'equal', type };
}

/** testmsg */
function matches(m: Message, mode: SearchMode, type: number): boolean {
  switch (mode) {
    case 'any':
    case 'number':
      return true;
    case 'equal':
      return m.type === type;
    case 'notequal':
      return m.type !== type;
    case 'lessequal':
      return m.type <= type;
  }
}

function checkType(type: number, what: string): void {
  if (!Number.isSafeInteger(type)) fail(Errno.EINVAL, `${what}=${type}: not an integer`);
}

export class MsgQueue {
  /** queued messages, in arrival order */
  private readonly queue: Message[] = [];
  private readonly sendersList: SendWaiter[] = [];
  private readonly receiversList: ReceiveWaiter[] = [];
  /** held messages by id, and the holders that hold any */
  private readonly heldById = new Map<number, Held>();
  private nextId = 1;
  private readonly woken: [MsgWaiter, number][] = [];
  cbytes = 0;
  hbytes = 0;
  qbytes: number;
  lspid = 0;
  lrpid = 0;
  stime = 0;
  rtime = 0;
  ctime: number;
  removed = false;
  readonly watchers = new Set<() => void>();
  readonly now: () => number;

  constructor(readonly perm: IpcPerm, readonly opts: MsgQueueOptions) {
    this.now = opts.now ?? Date.now;
    this.qbytes = opts.qbytes;
    this.ctime = this.now();
  }

  get qnum(): number {
    return this.queue.length;
  }

  get hnum(): number {
    return this.heldById.size;
  }

  /** Queued messages in queue order. */
  messages(): readonly Message[] {
    return this.queue;
  }

  /** Held messages in arrival order. */
  held(): Held[] {
    return [...this.heldById.values()].sort((a, b) => a.message.id - b.message.id);
  }

  senders(): readonly SendWaiter[] {
    return this.sendersList;
  }

  receivers(): readonly ReceiveWaiter[] {
    return this.receiversList;
  }

  /** IPC_STAT; with who, msgctl_stat's read permission check first (EACCES). */
  stat(who?: Who): MsqidDs {
    if (who) this.checkPermission(who, READ, 'IPC_STAT');
    return {
      perm: { ...this.perm },
      stime: this.stime,
      rtime: this.rtime,
      ctime: this.ctime,
      cbytes: this.cbytes,
      qnum: this.qnum,
      qbytes: this.qbytes,
      lspid: this.lspid,
      lrpid: this.lrpid,
      hnum: this.hnum,
      hbytes: this.hbytes,
      senders: this.sendersList.length,
      receivers: this.receiversList.length,
    };
  }

  /** msg_fits_inqueue, with held messages counted as queued */
  fits(size: number): boolean {
    return size + this.cbytes + this.hbytes <= this.qbytes && 1 + this.qnum + this.hnum <= this.qbytes;
  }

  /**
   * msgsnd: 'done' when the message was queued or handed to a receiver, else a Waiter (queue
   * full, no IPC_NOWAIT). Throws in do_msgsnd's order: EINVAL (size past MSGMAX, type < 1),
   * EACCES (no write permission), EIDRM, EAGAIN (full, IPC_NOWAIT).
   */
  msgsnd(type: number, data: Buffer, opts: SendOptions, who: Caller, done: (errno: number) => void, tag: unknown = null): 'done' | SendWaiter {
    if (data.length > this.opts.msgmax) fail(Errno.EINVAL, `message of ${data.length} bytes is longer than MSGMAX (${this.opts.msgmax})`);
    checkType(type, 'mtype');
    if (type < 1) fail(Errno.EINVAL, `mtype ${type} must be positive`);
    this.checkPermission(who, ALTER, 'msgsnd');
    if (this.removed) fail(Errno.EIDRM, 'queue removed');
    if (this.fits(data.length)) {
      this.commitSend(type, Buffer.from(data), who.pid);
      this.endChange();
      return 'done';
    }
    if (opts.nowait) fail(Errno.EAGAIN, `queue full (${this.cbytes + this.hbytes} of ${this.qbytes} bytes, ${this.qnum + this.hnum} messages)`);
    const w = new SendWaiter(type, Buffer.from(data), who, done, tag);
    this.sendersList.push(w);
    this.endChange();
    return w;
  }

  /**
   * msgrcv: the message at once, or a Waiter (nothing matches, no IPC_NOWAIT). Throws in
   * do_msgrcv's order: EINVAL (bad size, MSG_COPY without IPC_NOWAIT or with MSG_EXCEPT), EACCES,
   * EIDRM, E2BIG (the message found is longer than maxSize, no MSG_NOERROR: it stays), ENOMSG
   * (nothing, IPC_NOWAIT). With a holder the message is held until holder.ack(queue, id).
   */
  msgrcv(opts: ReceiveOptions, who: Caller, holder: MsgHolder | null, done: (errno: number) => void, tag: unknown = null): Received | ReceiveWaiter {
    const { maxSize } = opts;
    if (!Number.isSafeInteger(maxSize) || maxSize < 0) fail(Errno.EINVAL, `buffer size ${maxSize} must be a non-negative integer`);
    const msgtyp = opts.type ?? 0;
    checkType(msgtyp, 'msgtyp');
    if (opts.copy && (opts.except || !opts.nowait)) fail(Errno.EINVAL, 'MSG_COPY needs IPC_NOWAIT and excludes MSG_EXCEPT');
    if (holder?.released) fail(Errno.EINVAL, 'holder released');
    const { mode, type } = searchMode(msgtyp, !!opts.except, !!opts.copy);
    this.checkPermission(who, READ, 'msgrcv');
    if (this.removed) fail(Errno.EIDRM, 'queue removed');
    const i = this.find(mode, type);
    if (i >= 0) {
      const m = this.queue[i]!;
      if (maxSize < m.data.length && !opts.noerror) fail(Errno.E2BIG, `message of ${m.data.length} bytes, buffer of ${maxSize}`);
      if (opts.copy) {
        // copy_msg: the copy buffer is min(msgsz, MSGMAX) bytes and must hold the whole message
        if (Math.min(maxSize, this.opts.msgmax) < m.data.length) fail(Errno.EINVAL, 'MSG_COPY: buffer shorter than the message');
        return { id: m.id, type: m.type, data: Buffer.from(m.data), size: m.data.length, held: false };
      }
      const r = this.take(i, maxSize, who.pid, holder);
      this.endChange();
      return r;
    }
    if (opts.nowait) fail(Errno.ENOMSG, 'no message of the requested type');
    const w = new ReceiveWaiter(mode, type, maxSize, !!opts.noerror, holder, who, done, tag);
    this.receiversList.push(w);
    this.endChange();
    return w;
  }

  /** Takes a waiter off its list (timeout, signal: the errno it gets); it takes nothing. */
  cancel(w: MsgWaiter, errno: number): void {
    if (!w.queued) return;
    this.unlink(w);
    this.woken.push([w, errno]);
    this.endChange();
  }

  /**
   * IPC_SET in msgctl_down's order: EIDRM, EPERM (not owner, creator or root), EPERM (qbytes above
   * MSGMNB without root, as CAP_SYS_RESOURCE), EINVAL (an id that is not valid, a bad qbytes); then
   * ctime, receivers re-checked, senders that now fit woken.
   */
  ipcSet(who: Who, change: { qbytes?: number; uid?: number; gid?: number; mode?: number }): void {
    if (this.removed) fail(Errno.EIDRM, 'queue removed');
    checkOwner(this.perm, who, 'IPC_SET');
    if (change.qbytes !== undefined) {
      if (!Number.isSafeInteger(change.qbytes) || change.qbytes < 0) fail(Errno.EINVAL, `msg_qbytes=${change.qbytes}: not a size`);
      if (change.qbytes > this.opts.msgmnb && who.uid !== 0) fail(Errno.EPERM, `msg_qbytes=${change.qbytes}: above MSGMNB (${this.opts.msgmnb}) needs root`);
    }
    if (change.uid !== undefined) checkId(change.uid, 'uid');
    if (change.gid !== undefined) checkId(change.gid, 'gid');
    if (change.qbytes !== undefined) this.qbytes = change.qbytes;
    if (change.uid !== undefined) this.perm.uid = change.uid;
    if (change.gid !== undefined) this.perm.gid = change.gid;
    if (change.mode !== undefined) this.perm.mode = (this.perm.mode & ~0o777) | (change.mode & 0o777);
    this.ctime = this.now();
    // expunge_all(-EAGAIN): each receiver runs its loop again (permission, find, sleep at the tail)
    for (const r of [...this.receiversList]) {
      if (!permitted(this.perm, r.who, READ)) {
        this.unlink(r);
        this.woken.push([r, Errno.EACCES]);
      }
    }
    this.retryReceivers();
    this.wakeSenders();
    this.endChange();
  }

  /** IPC_RMID (the registry's remove calls it): every waiter gets EIDRM, messages and held ones go. */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    for (const w of [...this.receiversList, ...this.sendersList]) {
      this.unlink(w);
      this.woken.push([w, Errno.EIDRM]);
    }
    for (const h of new Set([...this.heldById.values()].map((x) => x.holder))) h.forget(this);
    this.heldById.clear();
    this.queue.length = 0;
    this.cbytes = 0;
    this.hbytes = 0;
    this.endChange();
  }

  /** Robust receive: the holder acknowledges message id; it is gone, and its room frees. */
  ack(holder: MsgHolder, id: number): void {
    if (this.removed) fail(Errno.EIDRM, 'queue removed');
    const h = this.heldById.get(id);
    if (!h || h.holder !== holder) fail(Errno.EINVAL, `message ${id} is not held by this handle`);
    this.heldById.delete(id);
    this.hbytes -= h.message.data.length;
    holder.dropped(this, id);
    this.wakeSenders();
    this.endChange();
  }

  /** Robust receive: the holder is released; its messages go back to their places (MsgHolder.release). */
  giveBack(holder: MsgHolder, ids: readonly number[]): void {
    if (this.removed) return;
    const back: Message[] = [];
    for (const id of ids) {
      const h = this.heldById.get(id);
      if (!h || h.holder !== holder) continue;
      this.heldById.delete(id);
      this.hbytes -= h.message.data.length;
      back.push(h.message);
    }
    if (!back.length) return;
    for (const m of back.sort((a, b) => a.id - b.id)) this.insertByArrival(m);
    this.retryReceivers();
    this.wakeSenders();
    this.endChange();
  }

  private insertByArrival(m: Message): void {
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.id > m.id) i--;
    this.queue.splice(i, 0, m);
    this.cbytes += m.data.length;
  }

  private checkPermission(who: Who, requested: number, what: string): void {
    if (!permitted(this.perm, who, requested)) fail(Errno.EACCES, `${what}: permission denied`);
  }

  /** find_msg: the index of the message a receiver takes, -1 if none. */
  private find(mode: SearchMode, type: number): number {
    if (mode === 'number') return Number.isSafeInteger(type) && type >= 0 && type < this.queue.length ? type : -1;
    let found = -1;
    let limit = type;
    for (let i = 0; i < this.queue.length; i++) {
      const m = this.queue[i]!;
      if (!matches(m, mode, limit)) continue;
      if (mode !== 'lessequal' || m.type === 1) return i;
      // the lowest type wins, and the first of it: only lower types may replace it
      limit = m.type - 1;
      found = i;
    }
    return found;
  }

  /** Takes queued message i for a receiver (pid), holding it when there is a holder. */
  private take(i: number, maxSize: number, pid: number, holder: MsgHolder | null): Received {
    const [m] = this.queue.splice(i, 1);
    this.cbytes -= m!.data.length;
    const r = this.deliver(m!, maxSize, pid, holder);
    if (!holder) this.wakeSenders();
    return r;
  }

  /** lrpid, rtime, and the receiver's copy; held when there is a holder (its room stays taken). */
  private deliver(m: Message, maxSize: number, pid: number, holder: MsgHolder | null): Received {
    this.lrpid = pid;
    this.rtime = this.now();
    if (holder) {
      this.heldById.set(m.id, { message: m, holder, pid, at: this.rtime });
      this.hbytes += m.data.length;
      holder.holds(this, m.id);
    }
    const n = Math.min(maxSize, m.data.length);
    // a held message keeps its text: the receiver gets its own copy
    const data = holder ? Buffer.from(m.data.subarray(0, n)) : n === m.data.length ? m.data : m.data.subarray(0, n);
    return { id: m.id, type: m.type, data, size: m.data.length, held: !!holder };
  }

  /** The send itself, once it fits: lspid, stime, then a waiting receiver or the tail. */
  private commitSend(type: number, data: Buffer, pid: number): void {
    this.lspid = pid;
    this.stime = this.now();
    const m: Message = { id: this.nextId++, type, data };
    if (this.pipelinedSend(m)) return;
    this.queue.push(m);
    this.cbytes += data.length;
  }

  /** pipelined_send: the first receiver that takes m gets it; too-small buffers get E2BIG on the way. */
  private pipelinedSend(m: Message): boolean {
    for (let i = 0; i < this.receiversList.length; ) {
      const r = this.receiversList[i]!;
      if (this.orphaned(r)) continue;
      if (!matches(m, r.mode, r.type)) {
        i++;
        continue;
      }
      this.unlink(r);
      if (!r.noerror && r.maxSize < m.data.length) {
        this.woken.push([r, Errno.E2BIG]);
        continue;
      }
      r.result = this.deliver(m, r.maxSize, r.who.pid, r.holder);
      this.woken.push([r, 0]);
      return true;
    }
    return false;
  }

  /** Waiting receivers run find_msg again in their order (after messages came back, or IPC_SET). */
  private retryReceivers(): void {
    for (const r of [...this.receiversList]) {
      if (!r.queued || this.orphaned(r)) continue;
      const i = this.find(r.mode, r.type);
      if (i < 0) continue;
      this.unlink(r);
      const m = this.queue[i]!;
      if (!r.noerror && r.maxSize < m.data.length) {
        this.woken.push([r, Errno.E2BIG]);
        continue;
      }
      r.result = this.take(i, r.maxSize, r.who.pid, r.holder);
      this.woken.push([r, 0]);
    }
  }

  /**
   * ss_wakeup(kill=false) and what the woken senders do: those that fit now are woken, the others
   * move to the tail in their order; each woken sender, in order, checks its permission and sends
   * if it still fits, else sleeps again at the tail.
   */
  private wakeSenders(): void {
    if (!this.sendersList.length) return;
    const woken = this.sendersList.filter((s) => this.fits(s.data.length));
    if (!woken.length) return;
    const rest = this.sendersList.filter((s) => !woken.includes(s));
    this.sendersList.splice(0, this.sendersList.length, ...rest);
    for (const s of woken) {
      if (!permitted(this.perm, s.who, ALTER)) {
        s.queued = false;
        this.woken.push([s, Errno.EACCES]);
      } else if (this.fits(s.data.length)) {
        s.queued = false;
        this.commitSend(s.type, s.data, s.who.pid);
        this.woken.push([s, 0]);
      } else this.sendersList.push(s);
    }
  }

  /**
   * A receiver whose holder was released while it slept (the fs layer cancels a handle's waiters
   * before releasing it; this is the guard if it did not): it is answered EBADF and takes nothing,
   * so no message is ever held by a holder that can no longer give it back. True if it was.
   */
  private orphaned(r: ReceiveWaiter): boolean {
    if (!r.holder?.released) return false;
    this.unlink(r);
    this.woken.push([r, Errno.EBADF]);
    return true;
  }

  private unlink(w: MsgWaiter): void {
    const list: MsgWaiter[] = w instanceof SendWaiter ? this.sendersList : this.receiversList;
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
    w.queued = false;
  }

  /** The end of an operation (Linux's ipc_unlock_object + wake_up_q). */
  private endChange(): void {
    for (const [w, errno] of this.woken.splice(0)) w.done(errno);
    for (const fn of this.watchers) fn();
  }
}
