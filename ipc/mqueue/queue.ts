/**
 * One POSIX message queue with Linux's mq_timedsend/mq_timedreceive/mq_notify semantics
 * (ipc/mqueue.c), plus robust receive. Pure state: no timers, no I/O. A call that has to wait gets
 * a waiter completed through its `done`; timeouts (ETIMEDOUT) and signals (EINTR) are the caller's,
 * through cancel(), and a cancelled wait takes nothing. Completions are delivered after the whole
 * change, as Linux's wake_q; `watchers` run after every change (poll, status).
 *
 * Order of messages: highest priority first, and within a priority by arrival: every message gets
 * an arrival number when the queue accepts it (a blocked sender's message when it enters the queue,
 * as pipelined_receive's msg_insert), and each priority's messages are always kept in that order.
 *
 * Waiters: Linux serves the waiting task of highest scheduling priority first, and the longest
 * waiting among equals (wq_add inserts before the first waiter whose task->prio is lower or equal;
 * wq_get_first_waiter takes the list's tail). Each waiter carries that number (`prio`, the kernel's
 * scale: smaller first; ipc/sched-order.ts), given by the caller only when the call has to wait, and
 * keeps its place if its task's priority changes meanwhile, as in Linux (the list is sorted once,
 * at wq_add).
 *
 * Hand-off (pipelined_send/pipelined_receive): a message sent while a receiver waits goes to the
 * first waiting receiver, never through the queue (no notification); a slot that frees (a
 * receive without holder, an ack) moves the first waiting sender's message into the queue.
 *
 * Robust receive: a receive given an MqHolder (one per open handle) does not consume the message:
 * it is held by that holder under an id until ack(holder, id). Releasing the holder (close, crash,
 * SIGKILL) returns every message it still holds to the queue in its arrival place: ahead of every
 * message of its priority that arrived after it, behind those that arrived before it (several
 * returned at once thus land in their arrival order). Since a receive takes the head, a single
 * returned message lands at the head of its priority. Waiting receivers are then served first.
 *
 * Held messages count against maxmsg (Linux has no held messages): a queue is full when queued plus
 * held messages reach maxmsg. Otherwise a worker that dies holding messages would return them into
 * a queue that senders filled meanwhile, and the queue would hold more than maxmsg (and more than
 * its creator paid for in RLIMIT_MSGQUEUE bytes), or the returned messages would have to be lost.
 * mq_curmsgs and QSIZE count the queued messages only, what a receiver can take now; held messages
 * show separately in the status. POLLIN: a message is queued; POLLOUT: there is room.
 *
 * Because of held messages, receivers and senders may wait at the same time (queue empty, every
 * slot held); when a slot frees, the waiting sender's message goes straight to the waiting receiver.
 *
 * mq_notify: one registration (EBUSY for a second); it fires once and is dropped when a send puts a
 * message on an empty queue and no receiver waits (__do_notify), and also when a released holder's
 * messages land on an empty queue that no receiver waits on (they arrive there as new for whoever
 * watches the queue). A hand-off to a waiting receiver and a waiting sender's message entering the
 * queue after a receive do not notify, as in Linux.
 */
import { Errno, fail } from '../errno.js';
import { NORMAL_TASK_PRIO, insertByPrio } from '../sched-order.js';
import { MQ_PRIO_MAX, type MqAttr } from './limits.js';

/** sigev_notify values (asm-generic/siginfo.h) */
export const SIGEV_SIGNAL = 0;
export const SIGEV_NONE = 1;
export const SIGEV_THREAD = 2;
/** valid_signal: 0.._NSIG (0 is accepted and sends nothing) */
const NSIG = 64;

interface Message {
  readonly data: Buffer;
  readonly priority: number;
  /** arrival number in this queue */
  readonly seq: number;
}

/** What a receive gets. */
export interface Received {
  readonly data: Buffer;
  readonly priority: number;
  /** the hold to acknowledge (ack), when received with a holder; else null */
  readonly id: number | null;
}

export interface HeldMessage {
  readonly id: number;
  readonly priority: number;
  readonly size: number;
  /** who received it */
  readonly pid: number;
  readonly holder: MqHolder;
  /** internal: the message itself */
  readonly message: Message;
}

export class SendWaiter {
  queued = true;
  constructor(
    readonly data: Buffer,
    readonly priority: number,
    readonly pid: number,
    readonly done: (errno: number) => void,
    /** the caller's, opaque here */
    readonly tag: unknown = null,
    /** the sending task's scheduling priority (ipc/sched-order.ts) */
    readonly prio = NORMAL_TASK_PRIO,
  ) {}
}

export class ReceiveWaiter {
  queued = true;
  constructor(
    readonly pid: number,
    readonly holder: MqHolder | null,
    /** errno 0 with the message, or an errno (ETIMEDOUT, EINTR ...) with null */
    readonly done: (errno: number, got: Received | null) => void,
    readonly tag: unknown = null,
    /** the receiving task's scheduling priority (ipc/sched-order.ts) */
    readonly prio = NORMAL_TASK_PRIO,
  ) {}
}

export type MqWaiter = SendWaiter | ReceiveWaiter;

/** An mq_notify registration. */
export interface Notification {
  /** the registrant (the fs layer's handle): only it can unregister */
  readonly owner: unknown;
  /** the registering process (NOTIFY_PID) */
  readonly pid: number;
  /** SIGEV_NONE or SIGEV_SIGNAL */
  readonly how: number;
  /** SIGEV_SIGNAL's signal (0..64) */
  readonly signo: number;
  /** sigev_value, an intptr-sized word as the C library passes it (0n when not given) */
  readonly value?: bigint;
  /**
   * called once, after the change that fires it; the registration is gone by then. by: the
   * process whose operation fired it (the sender; for held messages coming back, their holder),
   * which Linux's signal names as si_pid
   */
  readonly fire: (by: number) => void;
}

/**
 * The per-handle holder of robustly received messages (like ipc/semaphores/undo.ts's UndoHolder).
 * At the handle's RELEASE the fs layer first cancels the handle's waiting receives, then calls
 * release(); a receive found still waiting for a released holder ends with EBADF, never with a
 * message nobody could acknowledge.
 */
export class MqHolder {
  released = false;
  private readonly queues = new Set<MessageQueue>();

  /** comm: the label shown beside its held messages (the fs layer gives the command name) */
  constructor(readonly pid: number, readonly comm: string) {}

  /** MessageQueue's: the holder now holds something there. */
  attach(q: MessageQueue): void {
    this.queues.add(q);
  }

  /** The handle is gone: every message it still holds goes back to its queue. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const q of this.queues) q.returnHeld(this);
    this.queues.clear();
  }
}

export interface MqStatus {
  /** Linux's QSIZE: bytes of the queued messages' text */
  qsize: number;
  /** sigev_notify of the registration, 0 when none (SIGEV_SIGNAL is 0 too, as in Linux) */
  notify: number;
  signo: number;
  notifyPid: number;
  /** the registration's sigev_value; null when no SIGEV_SIGNAL registration */
  notifyValue: bigint | null;
  maxmsg: number;
  msgsize: number;
  /** mq_curmsgs: queued messages */
  curmsgs: number;
  /** waiting senders' and receivers' pids, in the order they will be served */
  senders: number[];
  receivers: number[];
  /** held messages, oldest hold first */
  held: { id: number; priority: number; size: number; pid: number; comm: string }[];
}

/** The first line of the status, exactly as Linux's /dev/mqueue files read (mqueue_read_file). */
export function qsizeLine(s: Pick<MqStatus, 'qsize' | 'notify' | 'signo' | 'notifyPid'>): string {
  return `QSIZE:${String(s.qsize).padEnd(10)} NOTIFY:${String(s.notify).padEnd(5)} SIGNO:${String(s.signo).padEnd(5)} NOTIFY_PID:${String(s.notifyPid).padEnd(6)}\n`;
}

/** mq_timedsend's first check, before the descriptor's (EBADF): callers may need it first. */
export function checkPriority(priority: number): void {
  if (!Number.isInteger(priority) || priority < 0 || priority >= MQ_PRIO_MAX) fail(Errno.EINVAL, `priority ${priority} not in 0..${MQ_PRIO_MAX - 1}`);
}

export class MessageQueue {
  readonly maxmsg: number;
  readonly msgsize: number;
  /** per priority, in arrival order */
  private readonly byPriority = new Map<number, Message[]>();
  /** the priorities that have messages, highest first */
  private readonly priorities: number[] = [];
  private queued = 0;
  private bytes = 0;
  private seq = 0;
  private holdIds = 0;
  private readonly holds = new Map<number, HeldMessage>();
  private readonly senders: SendWaiter[] = [];
  private readonly receivers: ReceiveWaiter[] = [];
  private notification: Notification | null = null;
  /** completions of the change in progress (Linux's wake_q) */
  private readonly woken: (() => void)[] = [];
  readonly watchers = new Set<() => void>();
  /** times as Linux's inode keeps them (ms): a message moved, a notification (un)registered */
  atime: number;
  mtime: number;
  ctime: number;

  constructor(attr: MqAttr, private readonly now: () => number = Date.now) {
    this.maxmsg = attr.maxmsg;
    this.msgsize = attr.msgsize;
    this.atime = this.mtime = this.ctime = now();
  }

  /** mq_curmsgs */
  get curmsgs(): number {
    return this.queued;
  }

  get heldCount(): number {
    return this.holds.size;
  }

  get qsize(): number {
    return this.bytes;
  }

  /** POLLIN */
  get readable(): boolean {
    return this.queued > 0;
  }

  /** POLLOUT: room for one more message (held ones take room) */
  get writable(): boolean {
    return this.queued + this.holds.size < this.maxmsg;
  }

  get waitingSenders(): number {
    return this.senders.length;
  }

  get waitingReceivers(): number {
    return this.receivers.length;
  }

  get notifyRegistration(): Notification | null {
    return this.notification;
  }

  /**
   * mq_timedsend, in do_mq_timedsend's order: EINVAL (priority), EMSGSIZE (longer than msgsize),
   * then a full queue: EAGAIN when nonblocking, else a SendWaiter completed by done(0) once its
   * message is in, or by cancel(). The data is copied.
   */
  send(data: Uint8Array, priority: number, pid: number, nonblocking: boolean, done: (errno: number) => void, tag: unknown = null, prio?: () => number): 'done' | SendWaiter {
    checkPriority(priority);
    if (data.length > this.msgsize) fail(Errno.EMSGSIZE, `message of ${data.length} bytes, msgsize is ${this.msgsize}`);
    const copy = Buffer.from(data);
    if (!this.writable) {
      if (nonblocking) fail(Errno.EAGAIN, 'queue full');
      const w = new SendWaiter(copy, priority, pid, done, tag, prio ? prio() : NORMAL_TASK_PRIO);
      insertByPrio(this.senders, w);
      this.endChange();
      return w;
    }
    // with a receiver waiting the queue is empty: inserting then pumping hands this very message
    // to it (pipelined_send), and nobody is notified
    const receiverWaits = this.receivers.length > 0;
    this.insert({ data: copy, priority, seq: this.seq++ });
    this.touch();
    if (receiverWaits) this.pump();
    else if (this.queued === 1) this.fireNotification(pid);
    this.endChange();
    return 'done';
  }

  /**
   * mq_timedreceive, in do_mq_timedreceive's order: EBADF (holder released), EMSGSIZE (bufferSize below msgsize), then an
   * empty queue: EAGAIN when nonblocking, else a ReceiveWaiter completed by done(0, message) or by
   * cancel(). With a holder the message stays held by it until ack (robust receive).
   */
  receive(bufferSize: number, pid: number, nonblocking: boolean, holder: MqHolder | null, done: (errno: number, got: Received | null) => void, tag: unknown = null, prio?: () => number): Received | ReceiveWaiter {
    // a released holder is a closed handle: the descriptor check, first as in Linux
    if (holder?.released) fail(Errno.EBADF, 'holder released');
    if (!(bufferSize >= this.msgsize)) fail(Errno.EMSGSIZE, `buffer of ${bufferSize} bytes, msgsize is ${this.msgsize}`);
    if (this.queued === 0) {
      if (nonblocking) fail(Errno.EAGAIN, 'queue empty');
      const w = new ReceiveWaiter(pid, holder, done, tag, prio ? prio() : NORMAL_TASK_PRIO);
      insertByPrio(this.receivers, w);
      this.endChange();
      return w;
    }
    const got = this.take(this.head(), pid, holder);
    this.touch();
    this.pump();
    this.endChange();
    return got;
  }

  /** Takes a waiter off its list (ETIMEDOUT, EINTR, or any errno): it takes and leaves nothing. */
  cancel(w: MqWaiter, errno: number): void {
    if (!w.queued) return;
    const list: MqWaiter[] = w instanceof SendWaiter ? this.senders : this.receivers;
    list.splice(list.indexOf(w), 1);
    w.queued = false;
    if (w instanceof SendWaiter) this.woken.push(() => w.done(errno));
    else this.woken.push(() => w.done(errno, null));
    this.endChange();
  }

  /** The receiver is done with a held message: it is gone for good, its slot frees. EINVAL if holder does not hold id. */
  ack(holder: MqHolder, id: number): void {
    const h = this.holds.get(id);
    if (!h || h.holder !== holder) fail(Errno.EINVAL, `message ${id} is not held by this handle`);
    this.holds.delete(id);
    this.touch();
    this.pump();
    this.endChange();
  }

  /** MqHolder.release's: every message holder still holds returns to its arrival place. */
  returnHeld(holder: MqHolder): void {
    const back = [...this.holds.values()].filter((h) => h.holder === holder);
    if (!back.length) return;
    const wasEmpty = this.queued === 0;
    for (const h of back) {
      this.holds.delete(h.id);
      this.insert(h.message);
    }
    this.pump();
    if (wasEmpty && this.queued > 0 && this.receivers.length === 0) this.fireNotification(holder.pid);
    this.endChange();
  }

  /** Messages held by holder (its handle's status), oldest hold first. */
  heldBy(holder: MqHolder): HeldMessage[] {
    return [...this.holds.values()].filter((h) => h.holder === holder);
  }

  /**
   * mq_notify(sigevent): EINVAL for an unknown or unsupported sigev_notify (SIGEV_THREAD needs a
   * netlink socket the daemon cannot reach) or a bad signal, then EBUSY when anyone is registered.
   */
  registerNotify(n: Notification): void {
    if (n.how !== SIGEV_NONE && n.how !== SIGEV_SIGNAL) fail(Errno.EINVAL, `sigev_notify ${n.how}: only SIGEV_NONE and SIGEV_SIGNAL`);
    if (n.how === SIGEV_SIGNAL && (!Number.isInteger(n.signo) || n.signo < 0 || n.signo > NSIG)) fail(Errno.EINVAL, `signal ${n.signo} not in 0..${NSIG}`);
    if (n.value !== undefined && BigInt.asIntN(64, n.value) !== n.value) fail(Errno.EINVAL, `sigev_value ${n.value} is not a 64-bit word`);
    if (this.notification) fail(Errno.EBUSY, `pid ${this.notification.pid} is registered`);
    this.notification = n;
    this.atime = this.ctime = this.now();
    this.endChange();
  }

  /** mq_notify(NULL), and the registrant's handle release: only the registrant unregisters; anyone else: nothing. */
  unregisterNotify(owner: unknown): void {
    if (!this.notification || this.notification.owner !== owner) return;
    this.notification = null;
    this.atime = this.ctime = this.now();
    this.endChange();
  }

  status(): MqStatus {
    const n = this.notification;
    return {
      qsize: this.bytes,
      notify: n ? n.how : 0,
      signo: n && n.how === SIGEV_SIGNAL ? n.signo : 0,
      notifyPid: n ? n.pid : 0,
      notifyValue: n && n.how === SIGEV_SIGNAL ? (n.value ?? 0n) : null,
      maxmsg: this.maxmsg,
      msgsize: this.msgsize,
      curmsgs: this.queued,
      senders: this.senders.map((w) => w.pid),
      receivers: this.receivers.map((w) => w.pid),
      held: [...this.holds.values()].map((h) => ({ id: h.id, priority: h.priority, size: h.size, pid: h.pid, comm: h.holder.comm })),
    };
  }

  /** The next message a receiver would get (highest priority, earliest arrival), with its priority, without taking it. */
  peek(): { data: Buffer; priority: number } | null {
    if (!this.queued) return null;
    const m = this.byPriority.get(this.priorities[0]!)![0]!;
    return { data: m.data, priority: m.priority };
  }

  /** Puts m in its priority's list at its arrival place (at the tail, unless it is a returned one). */
  private insert(m: Message): void {
    let list = this.byPriority.get(m.priority);
    if (!list) {
      list = [];
      this.byPriority.set(m.priority, list);
      const ps = this.priorities;
      let i = 0;
      while (i < ps.length && ps[i]! > m.priority) i++;
      ps.splice(i, 0, m.priority);
    }
    let i = list.length;
    while (i > 0 && list[i - 1]!.seq > m.seq) i--;
    list.splice(i, 0, m);
    this.queued++;
    this.bytes += m.data.length;
  }

  /** Removes and returns the head message (msg_get); the queue is not empty. */
  private head(): Message {
    const p = this.priorities[0]!;
    const list = this.byPriority.get(p)!;
    const m = list.shift()!;
    if (!list.length) {
      this.byPriority.delete(p);
      this.priorities.shift();
    }
    this.queued--;
    this.bytes -= m.data.length;
    return m;
  }

  /** A message leaves the queue for a receiver: held when it has a holder. */
  private take(m: Message, pid: number, holder: MqHolder | null): Received {
    if (!holder) return { data: m.data, priority: m.priority, id: null };
    const id = ++this.holdIds;
    this.holds.set(id, { id, priority: m.priority, size: m.data.length, pid, holder, message: m });
    holder.attach(this);
    return { data: m.data, priority: m.priority, id };
  }

  private deliver(m: Message, w: ReceiveWaiter): void {
    w.queued = false;
    const got = this.take(m, w.pid, w.holder);
    this.woken.push(() => w.done(0, got));
  }

  /**
   * After room frees or messages return: queued messages go to waiting receivers, then waiting
   * senders' messages enter while there is room (each may go on to a waiting receiver).
   */
  private pump(): void {
    for (;;) {
      if (this.queued && this.receivers.length) {
        const w = this.receivers.shift()!;
        if (w.holder?.released) {
          // a holder released while its receive waited: that receive can no longer hold anything
          w.queued = false;
          this.woken.push(() => w.done(Errno.EBADF, null));
          continue;
        }
        this.deliver(this.head(), w);
        this.touch();
        continue;
      }
      if (this.senders.length && this.writable) {
        const s = this.senders.shift()!;
        s.queued = false;
        this.insert({ data: s.data, priority: s.priority, seq: this.seq++ });
        this.woken.push(() => s.done(0));
        this.touch();
        continue;
      }
      return;
    }
  }

  /** __do_notify's firing: the registration goes, then its callback runs with the other completions. */
  private fireNotification(by: number): void {
    const n = this.notification;
    if (!n) return;
    this.notification = null;
    this.woken.push(() => n.fire(by));
  }

  private touch(): void {
    this.atime = this.mtime = this.ctime = this.now();
  }

  /** The end of an operation (Linux's spin_unlock + wake_up_q): completions, then watchers. */
  private endChange(): void {
    for (const fn of this.woken.splice(0)) fn();
    for (const fn of this.watchers) fn();
  }
}
