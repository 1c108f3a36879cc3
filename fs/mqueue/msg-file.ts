/**
 * A System V message queue as a file (docs/protocol.md, "Message queues"), a policy on the kind
 * layer over ipc/msg/msg-queue.ts. Reading shows the status (the msqid_ds fields); writing runs:
 *
 *   send TYPE [nowait]\n<payload>                        msgsnd: the rest of the write is the text
 *   receive [TYPE] [except] [noerror] [nowait] [undo] [size=N]   msgrcv: the message is the answer
 *   ack ID                                               a message received with undo is done
 *   ipc_set [uid=N] [gid=N] [mode=OCTAL] [qbytes=N]      IPC_SET; rmid: IPC_RMID (also `rm`)
 *
 * The descriptor's O_NONBLOCK (at open or by fcntl) acts as IPC_NOWAIT. A receive needs the file
 * open for reading too (O_RDWR), its answer being read back: on a write-only open it is EBADF. A
 * message received with `undo` stays held by the open file until `ack`; released first (close,
 * crash, SIGKILL), it goes back to its place in the queue.
 */
import { Errno, fail } from '../../ipc/errno.js';
import { MsgHolder } from '../../ipc/msg/holder.js';
import { ReceiveWaiter, type MsgQueue, type MsgWaiter, type Received } from '../../ipc/msg/msg-queue.js';
import type { MsgRegistry, SysvMsgQueue } from '../../ipc/msg/registry.js';
import type { IpcPerm } from '../../ipc/semaphores/perms.js';
import { DEFAULT_MAX_WRITE } from '../fuse/session.js';
import { ObjectFile, ObjectHandle, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, type FileObject } from '../kinds/object-file.js';
import { commOf } from '../kinds/process.js';
import { countOption, hexKey, options, words, statusTime } from '../kinds/tokens.js';
import { DONE_NOW, nonBlocking, waitCall } from '../kinds/wait-call.js';
import type { FileHandle, FsContext } from '../tree/node.js';
import { escapeWord } from '../tree/text-file.js';

/** A System V queue as its file sees it. */
export class MsgObject implements FileObject {
  readonly label: [string, string];
  constructor(readonly entry: SysvMsgQueue, private readonly registry: MsgRegistry, private readonly gone: () => void) {
    this.label = ['msqid', String(entry.id)];
  }
  get queue(): MsgQueue {
    return this.entry.queue;
  }
  get perm(): IpcPerm {
    return this.queue.perm;
  }
  /** IPC_RMID (the owner check was made by the caller) */
  remove(): void {
    this.registry.remove(this.entry);
    this.gone();
  }
  get removed(): boolean {
    return this.queue.removed;
  }
  get otime(): number {
    return Math.max(this.queue.stime, this.queue.rtime);
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

function* status(o: MsgObject): Generator<string, void, undefined> {
  const s = o.queue.stat();
  yield `msqid: ${o.entry.id}\n`;
  yield `owner: ${s.perm.uid}\nperms: ${(s.perm.mode & 0o777).toString(8).padStart(3, '0')}\n`;
  yield `key: ${hexKey(o.entry.key)}\ngroup: ${s.perm.gid}\ncuid: ${s.perm.cuid}\ncgid: ${s.perm.cgid}\n`;
  yield `cbytes: ${s.cbytes}\nqnum: ${s.qnum}\nqbytes: ${s.qbytes}\nlspid: ${s.lspid}\nlrpid: ${s.lrpid}\n`;
  yield `stime: ${time(s.stime)}\nrtime: ${time(s.rtime)}\nctime: ${time(s.ctime)}\n`;
  yield `senders: ${s.senders}\nreceivers: ${s.receivers}\nheld: ${s.hnum}\nheld-bytes: ${s.hbytes}\n`;
  for (const h of o.queue.held()) yield `held: id=${h.message.id} type=${h.message.type} size=${h.message.data.length} pid=${h.pid} comm=${escapeWord(h.holder.comm)}\n`;
  if (o.queue.removed) yield 'removed: yes\n';
}

/** st_size: every legal write, a send's text included, stays under the shared inode lock. */
const MSG_FILE_SIZE = DEFAULT_MAX_WRITE;

/**
 * The longest write the kernel surely passes whole. It cuts a direct-I/O write(2) into WRITE
 * requests of at most max_write bytes over at most max_write / 4096 pages of the caller's buffer
 * (fs/fuse/session.ts), so a buffer that starts near the end of a page gives a first piece of
 * max_write - 4095 bytes. A send's write longer than this may be such a piece, its text cut: it is
 * refused (EINVAL, as a text longer than MSGMAX), so that a cut message is never queued (when
 * --limits sets msgmax above it).
 */
export const WHOLE_WRITE_MAX = DEFAULT_MAX_WRITE - 4095;

const O_ACCMODE = 3;
const O_WRONLY = 1;

export class MsgFile extends ObjectFile<MsgObject> {
  protected override size(): number {
    return MSG_FILE_SIZE;
  }
  open(_ctx: FsContext, flags: number): FileHandle {
    return new MsgHandle(this.obj, (flags & O_ACCMODE) !== O_WRONLY);
  }
}

const signedType = (v: string): number => {
  if (!/^-?\d{1,19}$/.test(v) || !Number.isSafeInteger(Number(v))) fail(Errno.EINVAL, `type ${v}: an integer expected`);
  return Number(v);
};

export class MsgHandle extends ObjectHandle<MsgObject> {
  protected override readonly payloadVerbs = new Set(['send']);
  private holder: MsgHolder | null = null;
  private receiving = false;

  /** readable: not opened write-only, so a receive's answer can be read back */
  constructor(obj: MsgObject, private readonly readable: boolean) {
    super(obj, () => status(obj));
  }

  protected command(ctx: FsContext, bytes: Buffer, length: number, flags: number, payload: Buffer | null): number | Promise<number> {
    const [verb, ...rest] = words(bytes.toString('utf8'));
    const q = this.obj.queue;
    const who = { uid: ctx.caller.uid, gid: ctx.caller.gid, groups: ctx.caller.groups, pid: ctx.caller.tgid };
    switch (verb?.toLowerCase()) {
      case 'send': {
        const { positional, opts } = options(rest, { nowait: 'flag' });
        if (positional.length !== 1) fail(Errno.EINVAL, 'usage: send TYPE [nowait] + newline + the text');
        const type = signedType(positional[0]!);
        if (length > WHOLE_WRITE_MAX) fail(Errno.EINVAL, `a send of ${length} bytes may reach ipcfs cut: one write carries at most ${WHOLE_WRITE_MAX} bytes, command line included`);
        const data = payload ?? Buffer.alloc(0);
        const r = waitCall<MsgWaiter, void>(
          ctx,
          (done) => {
            const w = q.msgsnd(type, data, { nowait: opts.has('nowait') || nonBlocking(flags) }, who, (errno) => done(errno, undefined));
            return w === 'done' ? DONE_NOW : w;
          },
          (w, errno) => q.cancel(w, errno),
          { timeoutMs: null, timeoutErrno: Errno.EAGAIN, describe: (e) => (e === Errno.EIDRM ? 'queue removed' : undefined) },
        );
        return r === DONE_NOW ? length : r.map(() => length);
      }
      case 'receive': {
        const { positional, opts } = options(rest, { except: 'flag', noerror: 'flag', nowait: 'flag', undo: 'flag', size: 'value' });
        if (positional.length > 1) fail(Errno.EINVAL, 'usage: receive [TYPE] [except] [noerror] [nowait] [undo] [size=N]');
        // its answer could never be read through this open file: the message would be lost (`echo receive > q`)
        if (!this.readable) fail(Errno.EBADF, 'receive on a file opened write-only: open it O_RDWR to read the answer');
        if (this.receiving || this.answerPending) fail(Errno.EBUSY, 'the last received message is not read yet (or a receive runs) on this open file');
        const holder = opts.has('undo') ? this.holderFor(ctx) : null;
        const ropts = {
          maxSize: countOption('size', opts.get('size'), q.opts.msgmax),
          type: positional[0] === undefined ? 0 : signedType(positional[0]),
          except: opts.has('except'),
          noerror: opts.has('noerror'),
          nowait: opts.has('nowait') || nonBlocking(flags),
        };
        const answerWith = (got: Received): number => {
          this.receiving = false;
          this.answer(Buffer.concat([Buffer.from(`type=${got.type} size=${got.data.length}${got.held ? ` id=${got.id}` : ''}\n`), got.data]));
          return length;
        };
        this.receiving = true;
        let waiter: ReceiveWaiter | null = null;
        let r;
        try {
          r = waitCall<MsgWaiter, void>(
            ctx,
            (done) => {
              const got = q.msgrcv(ropts, who, holder, (errno) => {
                if (errno) this.receiving = false;
                done(errno, undefined);
              });
              if (got instanceof ReceiveWaiter) return (waiter = got);
              answerWith(got);
              return DONE_NOW;
            },
            (w, errno) => q.cancel(w, errno),
            { timeoutMs: null, timeoutErrno: Errno.EAGAIN, describe: (e) => (e === Errno.EIDRM ? 'queue removed' : undefined) },
          );
        } catch (err) {
          this.receiving = false;
          throw err;
        }
        if (r === DONE_NOW) return length;
        return r.map(() => answerWith(waiter!.result!));
      }
      case 'ack': {
        // a removed queue answers EIDRM to every command, whether this open file held anything or not
        if (this.obj.removed) fail(Errno.EIDRM, 'queue removed');
        if (rest.length !== 1 || !this.holder) fail(Errno.EINVAL, `ack: no message ${rest[0] ?? ''} held by this open file`);
        this.holder.ack(q, countOption('ack', rest[0], 0));
        return length;
      }
      case 'ipc_set': {
        const { positional, opts } = options(rest, { uid: 'value', gid: 'value', mode: 'value', qbytes: 'value' });
        if (positional.length || !opts.size) fail(Errno.EINVAL, 'usage: ipc_set [uid=N] [gid=N] [mode=OCTAL] [qbytes=N]');
        const mode = opts.get('mode');
        if (mode !== undefined && !/^[0-7]{1,4}$/.test(mode)) fail(Errno.EINVAL, `mode=${mode}: octal expected`);
        const num = (k: string, max: number): number | undefined => (opts.has(k) ? countOption(k, opts.get(k), 0, max) : undefined);
        q.ipcSet(who, { uid: num('uid', 4294967294), gid: num('gid', 4294967294), qbytes: num('qbytes', 2 ** 53 - 1), mode: mode === undefined ? undefined : parseInt(mode, 8) });
        return length;
      }
      case 'rmid':
        this.rmidCommand(ctx, 'message queue');
        return length;
      default:
        fail(Errno.EINVAL, `unknown command "${verb ?? ''}" (send, receive, ack, ipc_set, rmid)`);
    }
  }

  private holderFor(ctx: FsContext): MsgHolder {
    if (!this.holder) this.holder = this.keep(new MsgHolder(ctx.caller.tgid, commOf(ctx.caller.tgid)));
    return this.holder;
  }

  /** POLLIN when a message waits; POLLOUT when a message of one byte would fit. */
  protected readiness(): number {
    const q = this.obj.queue;
    return (q.qnum > 0 ? POLLIN | POLLRDNORM : 0) | (q.fits(1) ? POLLOUT | POLLWRNORM : 0);
  }
}
