/**
 * A kernel in memory: a Channel that feeds requests to a Session and records its replies. It checks
 * the one rule the real kernel enforces hardest: every request gets at most one reply (a second
 * one is recorded as a protocol violation the tests assert on). Early replies go through the
 * addon's own matcher (fs/fuse/native/early_replies.c), as FuseDevice's read path does.
 */
import pino from 'pino';
import type { Channel } from '../../fs/fuse/channel.js';
import type { EarlyTable } from '../../fs/fuse/early-replies.js';
import { native } from '../../fs/fuse/native.js';
import { Session } from '../../fs/fuse/session.js';
import type { FuseOperations } from '../../fs/fuse/ops.js';
import { Opcode, body, request, type Who } from './kernel-requests.js';

export interface Reply {
  unique: number;
  error: number;
  body: Buffer;
}

export class SyntheticKernel implements Channel {
  private onMessage: ((msg: Buffer, answeredEarly: number) => void) | null = null;
  private onEnd: ((err?: Error) => void) | null = null;
  private nextUnique = 2;
  readonly replies = new Map<number, Reply>();
  readonly notifications: Reply[] = [];
  readonly violations: string[] = [];
  /** Uniques the kernel no longer waits for (interrupted and given up): writes to them get ENOENT. */
  readonly dropped = new Set<number>();
  readSize = 0;
  private waiters = new Map<number, (r: Reply) => void>();
  closed = false;
  /** Requests answered by an early reply, in order. */
  readonly answeredEarly: number[] = [];
  private readonly earlyHandle = native.earlyTable();
  /** what each slot holds, as the addon copied it (the addon does not hand its contents back) */
  private readonly armed = new Map<number, { reply: Buffer; unique: number }>();
  readonly early: EarlyTable = {
    set: (slot, reply, unique, command, rule) => {
      if (native.earlySet(this.earlyHandle, slot, reply, unique, command, rule) !== 0) throw new Error('earlySet refused');
      if (reply) this.armed.set(slot, { reply: Buffer.from(reply), unique: unique! });
      else this.armed.delete(slot);
    },
    bind: (fh, slot) => {
      if (native.earlyBind(this.earlyHandle, fh, slot) !== 0) throw new Error('earlyBind refused');
    },
  };

  start(onMessage: (msg: Buffer, answeredEarly: number) => void, onEnd: (err?: Error) => void): void {
    this.onMessage = onMessage;
    this.onEnd = onEnd;
  }

  setReadSize(bytes: number): void {
    this.readSize = bytes;
  }

  write(msg: Buffer): number {
    if (msg.length < 16 || msg.readUInt32LE(0) !== msg.length) {
      this.violations.push(`bad out header length ${msg.length}`);
      return -22;
    }
    const unique = Number(msg.readBigUInt64LE(8));
    const r: Reply = { unique, error: msg.readInt32LE(4), body: msg.subarray(16) };
    if (unique === 0) {
      this.notifications.push(r);
      return 0;
    }
    if (this.replies.has(unique)) {
      this.violations.push(`second reply to ${unique}`);
      return -2;
    }
    this.replies.set(unique, r);
    this.waiters.get(unique)?.(r);
    this.waiters.delete(unique);
    return this.dropped.has(unique) ? -2 : 0;
  }

  close(): void {
    this.closed = true;
  }

  /** The kernel goes away (umount): the session sees the end of its channel. */
  end(): void {
    this.onEnd?.();
  }

  /** Sends raw bytes as one read() result (the first of a wake-up: early replies fire). */
  sendRaw(msg: Buffer): void {
    if (!this.onMessage) throw new Error('session not started');
    const slot = native.earlyMatch(this.earlyHandle, msg, msg.length);
    const fired = slot >= 0 ? this.armed.get(slot) : undefined;
    if (fired) {
      native.earlySet(this.earlyHandle, slot, null);
      this.armed.delete(slot);
      this.write(fired.reply);
      this.answeredEarly.push(fired.unique);
    }
    this.onMessage(msg, fired?.unique ?? 0);
  }

  /** Sends a request; returns its unique. */
  send(opcode: number, nodeid: number, b: Buffer, who: Who = {}, unique = this.takeUnique()): number {
    this.sendRaw(request(opcode, unique, nodeid, b, who));
    return unique;
  }

  takeUnique(): number {
    const u = this.nextUnique;
    this.nextUnique += 2; // the kernel steps by FUSE_REQ_ID_STEP; odd uniques are interrupts
    return u;
  }

  /** Resolves with the reply to unique (at once if it is already there). */
  reply(unique: number): Promise<Reply> {
    const r = this.replies.get(unique);
    if (r) return Promise.resolve(r);
    return new Promise((resolve) => this.waiters.set(unique, resolve));
  }

  /** Sends a request and waits for its reply. */
  call(opcode: number, nodeid: number, b: Buffer, who: Who = {}): Promise<Reply> {
    return this.reply(this.send(opcode, nodeid, b, who));
  }

  interrupt(target: number): void {
    this.send(Opcode.INTERRUPT, 0, body.interrupt(target), {}, this.takeUnique() + 1);
  }
}

export const silentLog = pino({ level: 'silent' });

/** A session over a synthetic kernel, INIT done. */
export async function startSession(ops: FuseOperations, minor = 38, flags = 0xffffffff): Promise<{ kernel: SyntheticKernel; session: Session }> {
  const kernel = new SyntheticKernel();
  const session = new Session(kernel, ops, { log: silentLog });
  void session.run();
  const r = await kernel.call(Opcode.INIT, 0, body.init(7, minor, flags));
  if (r.error !== 0) throw new Error(`INIT failed: ${r.error}`);
  return { kernel, session };
}
