/**
 * Early replies: a blocked request answered from the /dev/fuse read path, in C, the moment the
 * command that completes it is written to one of its object's file handles, before any JavaScript
 * runs (native/early_replies.h). The object arms the reply; the JavaScript that handles the
 * command right after must then complete that request exactly as armed.
 *
 * Why: a post handed to a blocked waiter spent ~10 us in cold JavaScript (reading, decoding,
 * parsing, the semaphore, encoding) before the waiter's reply went out, on every wake-up; a C
 * filesystem spends ~0.1 us there (npm run bench). The early reply takes that off the waiter's path.
 *
 * The contract that keeps it exact (fs/semaphores/early-post.ts is the one user):
 *  - an object arms only a reply that is certain: the command, run on the object's state as it is
 *    now by any caller the rule permits, completes the request with that value (for a semaphore:
 *    SemSet.postHandoff);
 *  - it re-arms or disarms after every change of that state, of its permissions, and of what a
 *    handle would make of the bytes (a handle holding part of a command is not bound);
 *  - JavaScript is single-threaded and the read path runs between its tasks, so the state the
 *    reply was armed on is the state the command meets; the command is then handled as usual and
 *    completes the request, whose reply the session does not send again (Session: answeredEarly).
 * Any caller the rule is not sure of (supplementary groups), any other bytes, and any request read
 * after the first of a wake-up take the ordinary path.
 */
import { native } from './native.js';

/** System V ipcperms for `want` (2: alter), from the object's permission at arming time. */
export interface EarlyRule {
  uid: number;
  cuid: number;
  gid: number;
  cgid: number;
  mode: number;
  want: number;
}

/** What a file handle and its object see. */
export interface EarlyReplies {
  /** fh's writes may fire key's armed reply (fh's handle holds no partial command). */
  bind(fh: number, key: object): void;
  /** fh's writes no longer fire anything (RELEASE, or a partial command held). */
  unbind(fh: number): void;
  /**
   * The next `command` written whole (with or without a final newline) to a handle bound to key,
   * by a caller that `rule` surely permits, answers request `unique` with `value` at once.
   */
  arm(key: object, unique: number, value: unknown, command: string, rule: EarlyRule): void;
  disarm(key: object): void;
}

/** A channel without early replies (the synthetic kernel of the tests): nothing is ever armed. */
export const NO_EARLY_REPLIES: EarlyReplies = Object.freeze({
  bind() {},
  unbind() {},
  arm() {},
  disarm() {},
});

/** The table in the addon, as the channel owns it (FuseDevice). */
export interface EarlyTable {
  set(slot: number, reply: Buffer | null, unique?: number, command?: Buffer, rule?: number[]): void;
  bind(fh: number, slot: number): void;
}

/** The addon's table (handed to pollStart by the device). */
export function nativeEarlyTable(): { handle: unknown; table: EarlyTable } {
  const handle = native.earlyTable();
  const check = (rc: number, what: string): void => {
    if (rc !== 0) throw new Error(`early reply table: ${what} refused (out of memory or bad sizes)`);
  };
  return {
    handle,
    table: {
      set: (slot, reply, unique, command, rule) => check(native.earlySet(handle, slot, reply, unique, command, rule), 'set'),
      bind: (fh, slot) => check(native.earlyBind(handle, fh, slot), 'bind'),
    },
  };
}

interface Armed {
  slot: number;
  /** handles bound to it */
  refs: number;
  /** what is armed now (0: nothing), so an unchanged re-arm costs no call into the addon */
  unique: number;
  command: string;
  rule: number[];
}

/**
 * The bookkeeping over a table: one slot per object that has a bound handle, slots reused.
 * encode(unique, value) is the session's reply to a pending request (null: it is not pending).
 */
export class EarlyReplyBook implements EarlyReplies {
  private readonly objects = new Map<object, Armed>();
  private readonly fhs = new Map<number, object>();
  /** armed unique -> its object's entry */
  private readonly byUnique = new Map<number, Armed>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;

  constructor(private readonly table: EarlyTable, private readonly encode: (unique: number, value: unknown) => Buffer | null) {}

  bind(fh: number, key: object): void {
    const was = this.fhs.get(fh);
    if (was === key) return;
    if (was) this.unbind(fh);
    let a = this.objects.get(key);
    if (!a) {
      a = { slot: this.freeSlots.pop() ?? this.nextSlot++, refs: 0, unique: 0, command: '', rule: [] };
      this.objects.set(key, a);
    }
    this.table.bind(fh, a.slot);
    a.refs++;
    this.fhs.set(fh, key);
  }

  unbind(fh: number): void {
    const key = this.fhs.get(fh);
    if (!key) return;
    this.fhs.delete(fh);
    this.table.bind(fh, -1);
    const a = this.objects.get(key)!;
    if (--a.refs > 0) return;
    if (a.unique) {
      this.table.set(a.slot, null);
      this.byUnique.delete(a.unique);
    }
    this.objects.delete(key);
    this.freeSlots.push(a.slot);
  }

  arm(key: object, unique: number, value: unknown, command: string, r: EarlyRule): void {
    const a = this.objects.get(key);
    if (!a) return; // no handle can fire it
    const rule = [r.uid, r.cuid, r.gid, r.cgid, r.mode, r.want];
    if (a.unique === unique && a.command === command && a.rule.every((v, i) => v === rule[i])) return;
    const reply = this.encode(unique, value);
    if (!reply) return this.disarm(key);
    this.table.set(a.slot, reply, unique, Buffer.from(command), rule);
    if (a.unique) this.byUnique.delete(a.unique);
    this.byUnique.set(unique, a);
    a.unique = unique;
    a.command = command;
    a.rule = rule;
  }

  disarm(key: object): void {
    const a = this.objects.get(key);
    if (!a || !a.unique) return;
    this.table.set(a.slot, null);
    this.byUnique.delete(a.unique);
    a.unique = 0;
  }

  /** The addon fired key's slot: it is no longer armed there. */
  fired(unique: number): void {
    const a = this.byUnique.get(unique);
    if (!a) return;
    this.byUnique.delete(unique);
    a.unique = 0;
  }
}
