/**
 * A POSIX message queue as a file (docs/protocol.md, "Message queues"), a policy on the kind layer
 * over ipc/mqueue/queue.ts. Reading shows the status (its first line is Linux's /dev/mqueue line);
 * writing runs commands:
 *
 *   send [prio=N] [timeout=S]\n<payload>   mq_send: the rest of the write is the message (any bytes)
 *   receive [undo] [timeout=S]            mq_receive: the message is the answer, read next
 *   ack ID                                a message received with undo is done
 *   notify [signal=N] [value=V] | notify none | unnotify   mq_notify
 *   ipc_set [uid=N] [gid=N] [mode=OCTAL]  as chmod/chown; rmid: mq_unlink
 *
 * Open modes are mq_open's: a send needs write access (the kernel refuses a write on a read-only
 * descriptor: EBADF), a receive read access (EBADF here for a write-only open, as mq_receive).
 * Permission is checked when the queue is opened (by the kernel with default_permissions, and by
 * OPEN), not at every send or receive: as on Linux, a chmod does not stop an open file.
 * The descriptor's O_NONBLOCK (at open or by fcntl) makes a full send or an empty receive EAGAIN.
 * A message received with `undo` stays held by the open file until `ack`: if the file is released
 * first (close, crash, SIGKILL), it goes back to the head of its priority.
 */
import { Errno, fail } from '../../ipc/errno.js';
import type { IpcPerm } from '../../ipc/semaphores/perms.js';
import { MqHolder, ReceiveWaiter, SIGEV_NONE, SIGEV_SIGNAL, qsizeLine, type MessageQueue, type MqWaiter, type Received } from '../../ipc/mqueue/queue.js';
import type { MqRegistry, PosixQueue } from '../../ipc/mqueue/registry.js';
import { DEFAULT_MAX_WRITE } from '../fuse/session.js';
import { ObjectFile, ObjectHandle, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, type FileObject } from '../kinds/object-file.js';
import { ProcessRef, SI_MESGQ, commOf } from '../kinds/process.js';
import { realUidOf } from '../fuse/caller.js';
import { countOption, options, words, statusTime } from '../kinds/tokens.js';
import { DONE_NOW, nonBlocking, waitCall } from '../kinds/wait-call.js';
import { taskPrioOf } from '../kinds/sched-prio.js';
import type { FileHandle, FsContext } from '../tree/node.js';
import { escapeWord, type ReadScope } from '../tree/text-file.js';

const O_ACCMODE = 3;
const O_WRONLY = 1;

/** A queue as its file sees it. */
export class MqObject implements FileObject {
  readonly perm: IpcPerm;
  readonly label: [string, string];
  constructor(readonly entry: PosixQueue, private readonly registry: MqRegistry, private readonly gone: () => void) {
    // the registry keeps owner and mode on the entry; the file's permission is this object
    this.perm = { uid: entry.uid, gid: entry.gid, cuid: entry.uid, cgid: entry.gid, mode: entry.mode & 0o777 };
    this.label = ['name', entry.name];
  }
  get queue(): MessageQueue {
    return this.entry.queue;
  }
  /** mq_unlink: the name goes; open files keep the queue (the registry frees it with the last). */
  remove(): void {
    if (this.entry.unlinked) return;
    this.registry.unlink(this.entry.name);
    this.registry.close(this.entry); // the name's own hold (made with the queue)
    this.gone();
  }
  /** a POSIX queue is never "removed" for its users: an unlinked one keeps working */
  readonly removed = false;
  get otime(): number {
    return this.queue.mtime;
  }
  get ctime(): number {
    return this.queue.ctime;
  }
  set ctime(ms: number) {
    this.queue.ctime = ms;
  }
  get watchers(): Set<() => void> {
    return this.queue.watchers;
  }
}

const time = statusTime;

function* status(o: MqObject, _scope: ReadScope): Generator<string, void, undefined> {
  const s = o.queue.status();
  yield qsizeLine(s);
  yield `name: ${escapeWord(o.entry.name)}\n`;
  yield `owner: ${o.perm.uid}\ngroup: ${o.perm.gid}\nperms: ${(o.perm.mode & 0o777).toString(8).padStart(3, '0')}\n`;
  yield `maxmsg: ${s.maxmsg}\nmsgsize: ${s.msgsize}\ncurmsgs: ${s.curmsgs}\n`;
  yield `senders: ${s.senders.join(' ')}\n`.replace(' \n', '\n');
  yield `receivers: ${s.receivers.join(' ')}\n`.replace(' \n', '\n');
  if (s.notifyValue !== null) yield `notify_value: ${s.notifyValue}\n`;
  for (const h of s.held) yield `held: id=${h.id} prio=${h.priority} size=${h.size} pid=${h.pid} comm=${escapeWord(h.comm)}\n`;
  yield `mtime: ${time(o.queue.mtime)}\nctime: ${time(o.queue.ctime)}\n`;
  if (o.entry.unlinked) yield 'unlinked: yes\n';
}

/**
 * st_size: every legal write stays under the shared inode lock (tree/command-file.ts) up to what
 * one WRITE carries, a send's payload included.
 */
const MQ_FILE_SIZE = DEFAULT_MAX_WRITE;

/**
 * The longest write a send may be, command line included. The kernel cuts a longer write(2) into
 * WRITE requests of at most max_write bytes and max_pages pages: from a buffer that does not start
 * on a page boundary the first piece is max_write less up to 4095 bytes. A send longer than this
 * could thus be the first piece of a longer write(2); taking it would queue a cut message (and
 * the write would report a short count). Refused with EMSGSIZE, the whole write(2) fails and
 * nothing is sent. Every send of at most this many bytes arrives in one piece, wherever its buffer.
 */
export const SEND_WRITE_MAX = DEFAULT_MAX_WRITE - 4096;

export class MqFile extends ObjectFile<MqObject> {
  constructor(obj: MqObject, private readonly registry: MqRegistry) {
    super(obj);
  }
  protected override size(): number {
    return MQ_FILE_SIZE;
  }
  open(_ctx: FsContext, flags: number): FileHandle {
    return new MqHandle(this.obj, this.registry, (flags & O_ACCMODE) !== O_WRONLY);
  }
}

/** /proc/sys/kernel/overflowuid's default: the uid Linux shows for one it cannot map */
const OVERFLOW_UID = 65534;

/** value=V: sigev_value as the C library passes it, a signed 64-bit decimal (sival_ptr's width) */
function sigevValue(v: string | undefined): bigint {
  if (v === undefined) return 0n;
  if (!/^-?\d{1,20}$/.test(v)) fail(Errno.EINVAL, `value=${v}: a signed decimal expected`);
  const n = BigInt(v);
  if (BigInt.asIntN(64, n) !== n) fail(Errno.EINVAL, `value=${v}: not a 64-bit signed value`);
  return n;
}

const seconds = (v: string | undefined): number | null => {
  if (v === undefined) return null;
  if (!/^\d+(\.\d+)?$/.test(v)) fail(Errno.EINVAL, `timeout=${v}: seconds expected`);
  return Math.round(Number(v) * 1000);
};

export class MqHandle extends ObjectHandle<MqObject> {
  protected override readonly payloadVerbs = new Set(['send']);
  private holder: MqHolder | null = null;
  /** a receive is running: its answer will take the slot */
  private receiving = false;

  constructor(obj: MqObject, private readonly registry: MqRegistry, private readonly canRead: boolean) {
    super(obj, (scope) => status(obj, scope));
    registry.hold(obj.entry);
  }

  protected command(ctx: FsContext, bytes: Buffer, length: number, flags: number, payload: Buffer | null): number | Promise<number> {
    const [verb, ...rest] = words(bytes.toString('utf8'));
    const q = this.obj.queue;
    const who = ctx.caller;
    switch (verb?.toLowerCase()) {
      case 'send': {
        const { positional, opts } = options(rest, { prio: 'value', timeout: 'value' });
        if (positional.length) fail(Errno.EINVAL, `send: unexpected "${positional.join(' ')}" (the message follows the command line)`);
        const prio = countOption('prio', opts.get('prio'), 0, 2 ** 31);
        if (length > SEND_WRITE_MAX) fail(Errno.EMSGSIZE, `a send of ${length} bytes may be a piece of a longer write(2): one write carries at most ${SEND_WRITE_MAX} bytes`);
        const data = payload ?? Buffer.alloc(0);
        const r = waitCall<MqWaiter, void>(
          ctx,
          (done) => {
            const w = q.send(data, prio, who.tgid, nonBlocking(flags), (errno) => done(errno, undefined), null, () => taskPrioOf(who.pid));
            return w === 'done' ? DONE_NOW : w;
          },
          (w, errno) => q.cancel(w, errno),
          { timeoutMs: seconds(opts.get('timeout')), timeoutErrno: Errno.ETIMEDOUT },
        );
        return r === DONE_NOW ? length : r.map(() => length);
      }
      case 'receive': {
        const { positional, opts } = options(rest, { undo: 'flag', timeout: 'value' });
        if (positional.length) fail(Errno.EINVAL, `receive: unexpected "${positional.join(' ')}"`);
        if (!this.canRead) fail(Errno.EBADF, 'mq_receive on a file opened write-only');
        if (this.receiving || this.answerPending) fail(Errno.EBUSY, 'the last received message is not read yet (or a receive runs) on this open file');
        const holder = opts.has('undo') ? this.holderFor(ctx) : null;
        const answerWith = (got: Received): number => {
          this.receiving = false;
          this.answer(Buffer.concat([Buffer.from(`prio=${got.priority} size=${got.data.length}${got.id !== null ? ` id=${got.id}` : ''}\n`), got.data]));
          return length;
        };
        this.receiving = true;
        let r;
        try {
          r = waitCall<MqWaiter, Received | null>(
            ctx,
            (done) => {
              const got = q.receive(q.msgsize, who.tgid, nonBlocking(flags), holder, (errno, m) => {
                if (errno) this.receiving = false; // a cancelled receive answers nothing
                done(errno, m);
              }, null, () => taskPrioOf(who.pid));
              if (got instanceof ReceiveWaiter) return got;
              answerWith(got);
              return DONE_NOW;
            },
            (w, errno) => q.cancel(w, errno),
            { timeoutMs: seconds(opts.get('timeout')), timeoutErrno: Errno.ETIMEDOUT },
          );
        } catch (err) {
          this.receiving = false;
          throw err;
        }
        return r === DONE_NOW ? length : r.map((got) => answerWith(got!));
      }
      case 'ack': {
        const id = countOption('ack', rest[0], -1);
        if (rest.length !== 1 || !this.holder) fail(Errno.EINVAL, `ack: no message ${rest[0] ?? ''} held by this open file`);
        q.ack(this.holder, id);
        return length;
      }
      case 'notify': {
        const { positional, opts } = options(rest, { signal: 'value', value: 'value', none: 'flag' });
        if (positional.length) fail(Errno.EINVAL, 'usage: notify [signal=N] [value=V] | notify none');
        const signo = countOption('signal', opts.get('signal'), 10 /* SIGUSR1, as a script expects */, 64);
        const value = sigevValue(opts.get('value'));
        const pid = who.tgid;
        const how = opts.has('none') ? SIGEV_NONE : SIGEV_SIGNAL;
        // Linux keeps a reference to the registrant's struct pid: a process that later gets the same
        // number is never signalled. The registration outlives its process when the open file does
        // (a child keeps it), so the signal goes through a pidfd of the registrant (ProcessRef).
        const target = how === SIGEV_SIGNAL && signo ? ProcessRef.of(pid) : null;
        try {
          q.registerNotify({
            owner: this, pid, how, signo, value,
            fire: (by) => {
              if (!target) return;
              // __do_notify's siginfo: SI_MESGQ, the registration's value, and the process whose
              // operation fired it, as the daemon sees it (its pid and real uid; a process gone
              // already is overflowuid, what Linux shows for a uid it cannot map)
              const uid = realUidOf(by);
              const rc = target.signal(signo, { code: SI_MESGQ, value, pid: by, uid: uid < 0 ? OVERFLOW_UID : uid });
              this.dropNotifyTarget(target);
              if (rc < 0) ctx.log.info({ pid, signo, errno: -rc }, 'mq notification: the registrant is gone; no signal sent');
            },
          });
        } catch (err) {
          target?.close();
          throw err;
        }
        this.notifyTarget = target;
        return length;
      }
      case 'unnotify':
        q.unregisterNotify(this);
        if (!q.notifyRegistration || q.notifyRegistration.owner !== this) this.dropNotifyTarget(this.notifyTarget);
        return length;
      case 'ipc_set': {
        const { positional, opts } = options(rest, { uid: 'value', gid: 'value', mode: 'value' });
        if (positional.length || !opts.size) fail(Errno.EINVAL, 'usage: ipc_set [uid=N] [gid=N] [mode=OCTAL]');
        const id = (k: string): number | undefined => (opts.has(k) ? countOption(k, opts.get(k), 0, 4294967294) : undefined);
        const mode = opts.get('mode');
        if (mode !== undefined && !/^[0-7]{1,4}$/.test(mode)) fail(Errno.EINVAL, `mode=${mode}: octal expected`);
        this.ipcSetCommand(ctx, { uid: id('uid'), gid: id('gid'), mode: mode === undefined ? undefined : parseInt(mode, 8) }, 'message queue');
        return length;
      }
      case 'rmid':
        this.rmidCommand(ctx, 'message queue');
        return length;
      default:
        fail(Errno.EINVAL, `unknown command "${verb ?? ''}" (send, receive, ack, notify, unnotify, ipc_set, rmid)`);
    }
  }

  /** the registrant's pidfd while this open file's registration lives */
  private notifyTarget: ProcessRef | null = null;

  private dropNotifyTarget(t: ProcessRef | null): void {
    t?.close();
    if (this.notifyTarget === t) this.notifyTarget = null;
  }

  private holderFor(ctx: FsContext): MqHolder {
    if (!this.holder) this.holder = this.keep(new MqHolder(ctx.caller.tgid, commOf(ctx.caller.tgid)));
    return this.holder;
  }

  /** POLLIN when a message waits; POLLOUT when there is room. */
  protected readiness(): number {
    const q = this.obj.queue;
    return (q.readable ? POLLIN | POLLRDNORM : 0) | (q.writable ? POLLOUT | POLLWRNORM : 0);
  }

  protected override onRelease(): void {
    this.obj.queue.unregisterNotify(this);
    this.dropNotifyTarget(this.notifyTarget);
  }

  override release(): void {
    super.release(); // held messages go back first
    this.registry.close(this.obj.entry);
  }
}
