/**
 * One FUSE connection: reads requests from a Channel, dispatches them through the opcode table
 * (ops.ts) and sends exactly one reply per request.
 *
 * Exactly one reply: handlers never write to the channel. A handler returns a result (or a promise
 * of one) or throws; the session encodes it and sends it through the request's ReplyGate, which
 * refuses a second send. FORGET, BATCH_FORGET and INTERRUPT get no reply (fuse.h: "no reply").
 *
 * Interrupts: the kernel sends FUSE_INTERRUPT when the caller of a pending request gets a signal
 * (for SIGKILL as well). The request's AbortSignal then aborts with FuseError(EINTR); a handler
 * that waits rejects with it, the caller gets -EINTR and, for a fatal signal, dies at once. An
 * INTERRUPT can be read before its request when requests are read concurrently; one whose unique
 * is newer than any request seen is kept and applied when the request arrives.
 */
import type { Logger } from 'pino';
import {
  FUSE_KERNEL_MINOR_VERSION, FUSE_KERNEL_VERSION, FUSE_MIN_MINOR_VERSION, InitFlag, InitFlag2, Opcode,
  PASSTHROUGH_MAX_STACK_DEPTH, Size,
} from './abi.js';
import { ByteReader } from './bytes.js';
import type { Channel } from './channel.js';
import { RequestCaller } from './caller.js';
import { Completion } from './completion.js';
import { EarlyReplyBook, NO_EARLY_REPLIES, type EarlyReplies } from './early-replies.js';
import { DecodeError, Errno, FuseError, errnoName } from './errno.js';
import type { ConnectionInfo, FuseOperations, FuseRequest, OpSpec } from './ops.js';
import { OPCODE_NAMES, OPS } from './ops.js';
import { encode, encodeError, encodeReply } from './replies.js';
import type { InHeader } from './requests.js';
import { decode, decodeInHeader } from './requests.js';

/** The capabilities ipcfs asks for; INIT grants the intersection with what the kernel offers. */
export const WANTED_INIT_FLAGS =
  // Lookups and creates in one directory may run concurrently (no per-directory serialisation).
  InitFlag.PARALLEL_DIROPS |
  // An aborted connection reads as ECONNABORTED rather than ENODEV, so the two can be told apart.
  InitFlag.ABORT_ERROR |
  // Buffered writes up to max_write per request (direct-io files ignore it).
  InitFlag.BIG_WRITES |
  // max_pages from our INIT reply instead of 32 (128 KiB): see DEFAULT_MAX_WRITE.
  InitFlag.MAX_PAGES;

/**
 * max_write, and max_pages to match. The kernel cuts a direct-I/O write(2) into WRITE requests of
 * at most max_write bytes and max_pages pages; with 1 MiB (256 pages, the kernel's default
 * fs.fuse.max_pages_limit) a write(2) of any legal command (at most 256 KiB, fs/tree/command-framing.ts)
 * arrives whole in one WRITE, and a longer one fails on its first WRITE, so the write(2) fails
 * whole rather than reporting a partial count. The read buffer is this plus the headers.
 */
export const DEFAULT_MAX_WRITE = 1024 * 1024;
const PAGE_SIZE = 4096;

export interface SessionOptions {
  log: Logger;
  /** max_write; the read buffer is this plus room for the header and fuse_write_in. */
  maxWrite?: number;
  wantFlags?: number;
  /**
   * Ask for FUSE_PASSTHROUGH (7.40) when the kernel offers it: only useful to a daemon that may
   * register backing files (CAP_SYS_ADMIN, fs/fuse/backing.ts). Off by default.
   */
  passthrough?: boolean;
}

/** How many early INTERRUPTs to remember (each is 8 bytes; a bound keeps a confused kernel harmless). */
const MAX_EARLY_INTERRUPTS = 1024;

/** Sends at most one reply; a second attempt is a bug and throws. */
export class ReplyGate {
  private sent = false;
  private sentEarly = false;
  constructor(readonly unique: number, private readonly channel: Channel) {}
  get done(): boolean {
    return this.sent;
  }
  /** The channel's read path already answered it (early-replies.ts). */
  get early(): boolean {
    return this.sentEarly;
  }
  markAnsweredEarly(): void {
    if (this.sent) throw new Error(`BUG: early reply to request ${this.unique}, already answered`);
    this.sent = true;
    this.sentEarly = true;
  }
  send(msg: Buffer): number {
    if (this.sent) throw new Error(`BUG: second reply to request ${this.unique}`);
    this.sent = true;
    return this.channel.write(msg);
  }
}

class Request implements FuseRequest<unknown> {
  readonly gate: ReplyGate;
  private controller: AbortController | null = null;
  private abortReason: unknown = null;
  private logger: Logger | null = null;
  readonly caller: RequestCaller;

  constructor(
    private readonly session: Session,
    readonly header: InHeader,
    readonly spec: OpSpec,
    readonly args: unknown,
  ) {
    this.gate = new ReplyGate(header.unique, session.channel);
    this.caller = new RequestCaller(header.uid, header.gid, header.pid);
  }
  get unique(): number {
    return this.header.unique;
  }
  get nodeid(): number {
    return this.header.nodeid;
  }
  get opcode(): number {
    return this.header.opcode;
  }
  /** Made on first use: most requests never wait, so most never need one. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }
  get log(): Logger {
    this.logger ??= this.session.log.child({ req: this.header.unique, op: this.spec.name, nodeid: this.header.nodeid, caller: this.header.pid });
    return this.logger;
  }
  abort(reason: FuseError): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
  get interrupted(): boolean {
    return this.abortReason !== null;
  }
}

export class Session {
  readonly log: Logger;
  private readonly pending = new Map<number, Request>();
  private readonly earlyInterrupts = new Set<number>();
  private newestUnique = 0;
  private info: ConnectionInfo | null = null;
  private ended = false;
  private readonly debug: boolean;
  private readonly maxWrite: number;
  private readonly wantFlags: number;
  private readonly wantPassthrough: boolean;
  private resolveReady!: (info: ConnectionInfo) => void;
  private resolveEnded!: () => void;
  /** Resolves once INIT is answered. */
  readonly ready: Promise<ConnectionInfo>;
  /** Resolves when the connection is gone. */
  readonly ended$: Promise<void>;
  /** Replies the channel's read path may send before JS runs (none on a channel without them). */
  readonly early: EarlyReplies;
  private readonly earlyBook: EarlyReplyBook | null;
  /**
   * The filesystem's handler for each opcode it implements, bound once: looking them up by name on
   * every request was a megamorphic keyed load (the costliest JS step of a warm write round trip).
   */
  private readonly handlers = new Map<number, (req: FuseRequest<unknown>) => unknown>();

  constructor(readonly channel: Channel, private readonly ops: FuseOperations, options: SessionOptions) {
    this.log = options.log;
    this.debug = this.log.isLevelEnabled('debug');
    this.maxWrite = options.maxWrite ?? DEFAULT_MAX_WRITE;
    this.wantFlags = options.wantFlags ?? WANTED_INIT_FLAGS;
    this.wantPassthrough = options.passthrough ?? false;
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    this.ended$ = new Promise((resolve) => (this.resolveEnded = resolve));
    this.earlyBook = channel.early ? new EarlyReplyBook(channel.early, (unique, value) => this.successReply(unique, value)) : null;
    this.early = this.earlyBook ?? NO_EARLY_REPLIES;
    for (const [opcode, spec] of OPS) {
      const h = ops[spec.name] as ((req: FuseRequest<unknown>) => unknown) | undefined;
      if (typeof h === 'function') this.handlers.set(opcode, h.bind(ops));
    }
  }

  /** The reply a pending request would get for value, or null (not pending, or it cannot encode). */
  private successReply(unique: number, value: unknown): Buffer | null {
    const req = this.pending.get(unique);
    if (!req || req.gate.done) return null;
    try {
      return encodeReply(unique, req.spec.encode(value as never, req.args as never));
    } catch {
      return null;
    }
  }

  /** The read path answered request `unique` before handing us the request that completes it. */
  private answeredEarly(unique: number): void {
    this.earlyBook?.fired(unique);
    const req = this.pending.get(unique);
    if (!req || req.gate.done) {
      this.log.error({ unique }, 'BUG: an early reply answered a request that was not waiting for one');
      return;
    }
    req.gate.markAnsweredEarly();
    if (this.debug) req.log.debug('answered early');
  }

  /** Starts reading; returns the promise that resolves when the session ends. */
  run(): Promise<void> {
    this.channel.start(
      (msg, answeredEarly) => {
        if (answeredEarly) this.answeredEarly(answeredEarly);
        this.onMessage(msg);
      },
      (err) => this.onEnd(err),
    );
    return this.ended$;
  }

  /** Requests dispatched and not yet answered. */
  get pendingCount(): number {
    return this.pending.size;
  }

  get connection(): ConnectionInfo | null {
    return this.info;
  }

  /** Sends a notification (replies.ts `notify`); ENOENT means the kernel no longer has the object. */
  notify(msg: Buffer): number {
    if (this.ended || !this.info) return -Errno.ENOTCONN;
    const rc = this.channel.write(msg);
    if (rc < 0 && rc !== -Errno.ENOENT) this.log.warn({ errno: errnoName(-rc) }, 'notification refused by the kernel');
    return rc;
  }

  /** Ends the session from our side (the channel is closed; pending handlers are aborted). */
  close(): void {
    this.channel.close();
    this.onEnd();
  }

  private onMessage(msg: Buffer): void {
    let header: InHeader;
    try {
      header = decodeInHeader(msg);
    } catch (err) {
      this.log.error({ err, bytes: msg.length }, 'malformed request header');
      // If the unique is there, the request can still be answered (and must be, or its caller hangs).
      if (msg.length >= 16) this.channel.write(encodeError(Number(msg.readBigUInt64LE(8)), Errno.EIO));
      return;
    }
    const body = new ByteReader(msg, Size.inHeader);
    switch (header.opcode) {
      case Opcode.INIT:
        return this.onInit(header, body);
      case Opcode.INTERRUPT:
        return this.onInterrupt(body);
      case Opcode.FORGET:
      case Opcode.BATCH_FORGET:
        return this.onForget(header, body);
      case Opcode.DESTROY:
        this.sendRaw(header, encodeReply(header.unique, encode.empty()));
        this.close();
        return;
    }
    if (header.unique > this.newestUnique) this.newestUnique = header.unique;
    if (!this.info) return this.answerEarly(header, Errno.EIO, 'request before INIT');
    const spec = OPS.get(header.opcode);
    if (!spec) return this.answerEarly(header, Errno.ENOSYS, 'opcode not handled');
    const handler = this.handlers.get(header.opcode);
    if (!handler) return this.answerEarly(header, spec.missing, 'not implemented by this filesystem');
    let args: unknown;
    try {
      args = spec.decode(body);
    } catch (err) {
      this.log.error({ err, op: spec.name, unique: header.unique }, 'malformed request body');
      return this.answerEarly(header, Errno.EIO, 'malformed');
    }
    const req = new Request(this, header, spec, args);
    this.pending.set(header.unique, req);
    if (this.earlyInterrupts.size && this.earlyInterrupts.delete(header.unique)) req.abort(new FuseError(Errno.EINTR, 'interrupted'));
    if (this.debug) req.log.debug({ args: loggable(args) }, 'request');
    let result: unknown;
    try {
      result = handler(req);
    } catch (err) {
      return this.fail(req, err);
    }
    if (result instanceof Completion) {
      // Answered the moment it settles, even from inside another request's handler.
      result.onSettled((o) => (o.ok ? this.succeed(req, o.value) : this.fail(req, o.error)));
    } else if (result instanceof Promise) {
      result.then(
        (value) => this.succeed(req, value),
        (err) => this.fail(req, err),
      );
    } else {
      this.succeed(req, result);
    }
  }

  private succeed(req: Request, value: unknown): void {
    let body: Buffer;
    try {
      body = req.spec.encode(value as never, req.args as never);
    } catch (err) {
      return this.fail(req, err);
    }
    this.finish(req, encodeReply(req.unique, body), 0);
  }

  private fail(req: Request, err: unknown): void {
    let errno: number;
    if (err instanceof FuseError) {
      errno = err.errno;
      if (this.debug) req.log.debug({ errno: err.code, msg: err.message }, 'error reply');
    } else {
      errno = Errno.EIO;
      req.log.error({ err }, 'handler failed; answering EIO');
    }
    this.finish(req, encodeError(req.unique, errno), errno);
  }

  private finish(req: Request, msg: Buffer, errno: number): void {
    this.pending.delete(req.unique);
    if (req.gate.early) {
      // Armed only when certain (early-replies.ts): an error here means the arming was wrong.
      if (errno) req.log.error({ errno: errnoName(errno) }, 'BUG: answered early with success, then completed with an error');
      else if (this.debug) req.log.debug('completed as answered early');
      return;
    }
    let rc: number;
    try {
      rc = req.gate.send(msg);
    } catch (err) {
      req.log.error({ err }, 'reply refused');
      return;
    }
    if (this.debug) req.log.debug({ errno: errno ? errnoName(errno) : 0 }, 'reply');
    this.checkWrite(rc, req.unique, req.interrupted);
  }

  private sendRaw(header: InHeader, msg: Buffer): void {
    this.checkWrite(this.channel.write(msg), header.unique, false);
  }

  private answerEarly(header: InHeader, errno: number, why: string): void {
    if (this.debug || errno === Errno.EIO) {
      const op = OPCODE_NAMES.get(header.opcode) ?? `opcode ${header.opcode}`;
      this.log[errno === Errno.EIO ? 'warn' : 'debug']({ op, unique: header.unique, errno: errnoName(errno) }, why);
    }
    this.sendRaw(header, encodeError(header.unique, errno));
  }

  private checkWrite(rc: number, unique: number, interrupted: boolean): void {
    if (rc >= 0) return;
    // ENOENT: the kernel no longer waits for this request (interrupted and gone): expected.
    if (rc === -Errno.ENOENT) {
      if (this.debug) this.log.debug({ unique, interrupted }, 'reply to a request the kernel dropped');
      return;
    }
    if (rc === -Errno.ENODEV || this.ended) return;
    this.log.error({ unique, errno: errnoName(-rc) }, 'the kernel refused a reply');
  }

  /**
   * INIT: answer with our major; minor = min(kernel's, ours); flags = what we want and it offers.
   * fuse.h: a kernel with a newer major gets our major and resends INIT; an older one is refused.
   */
  private onInit(header: InHeader, body: ByteReader): void {
    let init;
    try {
      init = decode.init(body);
    } catch (err) {
      this.log.error({ err }, 'malformed INIT');
      return this.sendRaw(header, encodeError(header.unique, Errno.EIO));
    }
    const reply = (minor: number, flags: number, flags2 = 0): Buffer =>
      encodeReply(header.unique, encode.init({
        major: FUSE_KERNEL_VERSION, minor, maxReadahead: init.maxReadahead, flags,
        maxBackground: 0, congestionThreshold: 0, maxWrite: this.maxWrite, timeGran: 1,
        maxPages: Math.min(0xffff, Math.ceil(this.maxWrite / PAGE_SIZE)),
        flags2, maxStackDepth: flags2 & InitFlag2.PASSTHROUGH ? PASSTHROUGH_MAX_STACK_DEPTH : 0,
      }));
    if (init.major > FUSE_KERNEL_VERSION) {
      this.log.info({ kernel: init.major }, 'kernel speaks a newer major; offering ours');
      return this.sendRaw(header, reply(FUSE_KERNEL_MINOR_VERSION, 0));
    }
    if (init.major < FUSE_KERNEL_VERSION || init.minor < FUSE_MIN_MINOR_VERSION) {
      this.log.error({ major: init.major, minor: init.minor }, `kernel FUSE protocol too old (need 7.${FUSE_MIN_MINOR_VERSION})`);
      return this.sendRaw(header, encodeError(header.unique, Errno.EPROTO));
    }
    const minor = Math.min(init.minor, FUSE_KERNEL_MINOR_VERSION);
    let flags = (init.flags & this.wantFlags) >>> 0;
    // FUSE_PASSTHROUGH lives in flags2, which the kernel reads only with FUSE_INIT_EXT in both
    // directions. The kernel takes it with max_stack_depth in 1..2 and without WRITEBACK_CACHE
    // (fs/fuse/inode.c process_init_reply; we never ask for writeback caching). It reads
    // backing_id and max_stack_depth whatever minor we answer: they were padding before 7.40.
    let flags2 = 0;
    if (this.wantPassthrough && init.flags & InitFlag.INIT_EXT && init.flags2 & InitFlag2.PASSTHROUGH) {
      flags = (flags | InitFlag.INIT_EXT) >>> 0;
      flags2 = InitFlag2.PASSTHROUGH;
    }
    // fuse.h: the read buffer must hold header + fuse_write_in + max_write, and at least 8 KiB.
    this.channel.setReadSize(Size.inHeader + 40 + this.maxWrite + 4096);
    this.info = { major: FUSE_KERNEL_VERSION, minor, flags, maxWrite: this.maxWrite };
    if (this.wantPassthrough) this.info.passthrough = flags2 !== 0;
    this.sendRaw(header, reply(minor, flags, flags2));
    this.log.info({ kernel: `${init.major}.${init.minor}`, minor, flags: `0x${flags.toString(16)}`, passthrough: this.info.passthrough }, 'FUSE session ready');
    this.ops.init?.(this.info);
    this.resolveReady(this.info);
  }

  private onInterrupt(body: ByteReader): void {
    let target: number;
    try {
      target = decode.interrupt(body).unique;
    } catch (err) {
      this.log.error({ err }, 'malformed INTERRUPT');
      return;
    }
    const req = this.pending.get(target);
    if (req) {
      if (this.debug) req.log.debug('interrupted');
      req.abort(new FuseError(Errno.EINTR, 'interrupted'));
      return;
    }
    // Newer than anything read: its request is still on its way. Older: already answered; drop it.
    if (target > this.newestUnique) {
      if (this.earlyInterrupts.size >= MAX_EARLY_INTERRUPTS) {
        const oldest = this.earlyInterrupts.values().next().value as number;
        this.earlyInterrupts.delete(oldest);
      }
      this.earlyInterrupts.add(target);
    }
  }

  private onForget(header: InHeader, body: ByteReader): void {
    try {
      if (header.opcode === Opcode.FORGET) {
        this.ops.forget?.(header.nodeid, decode.forget(body).nlookup);
      } else {
        for (const item of decode.batchForget(body).items) this.ops.forget?.(item.nodeid, item.nlookup);
      }
    } catch (err) {
      this.log.error({ err }, err instanceof DecodeError ? 'malformed FORGET' : 'forget failed');
    }
  }

  private onEnd(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    if (err) this.log.error({ err }, 'FUSE connection failed');
    else this.log.info('FUSE connection closed');
    const gone = new FuseError(Errno.ENOTCONN, 'session ended');
    for (const req of this.pending.values()) req.abort(gone);
    try {
      this.ops.destroy?.();
    } catch (e) {
      this.log.error({ err: e }, 'destroy failed');
    }
    this.resolveEnded();
  }
}

/** Request arguments for a debug log line: buffers as their length only. */
function loggable(args: unknown): unknown {
  if (!args || typeof args !== 'object') return args;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    out[k] = Buffer.isBuffer(v) ? `<${v.length} bytes>` : typeof v === 'bigint' ? v.toString() : v;
  }
  return out;
}
