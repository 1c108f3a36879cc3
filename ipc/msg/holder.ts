/**
 * Robust receive's per-handle state: the messages one open handle received with a holder and has
 * not acknowledged. The fs layer creates one per open handle (as UndoHolder) and releases it on
 * RELEASE — close, crash and SIGKILL alike — which puts every unacknowledged message back at its
 * place in its queue (MsgQueue.giveBack).
 */
import { Errno, fail } from '../errno.js';
import type { Held, MsgQueue } from './msg-queue.js';

export class MsgHolder {
  /** per queue: ids of the messages held */
  private readonly ids = new Map<MsgQueue, Set<number>>();
  released = false;

  /** pid and comm of the opener: the label the status shows */
  constructor(readonly pid: number, readonly comm: string) {}

  /** Messages held on q, in arrival order. */
  held(q: MsgQueue): Held[] {
    const mine = this.ids.get(q);
    return mine ? q.held().filter((h) => mine.has(h.message.id)) : [];
  }

  /** How many messages it holds, on every queue. */
  get count(): number {
    let n = 0;
    for (const s of this.ids.values()) n += s.size;
    return n;
  }

  /** Acknowledges message id of q: EINVAL when this holder does not hold it, EIDRM when q is gone. */
  ack(q: MsgQueue, id: number): void {
    if (this.released) fail(Errno.EINVAL, 'holder released');
    q.ack(this, id);
  }

  /** The handle is gone: every unacknowledged message returns to its queue. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const [q, ids] of [...this.ids]) q.giveBack(this, [...ids]);
    this.ids.clear();
  }

  /** MsgQueue's bookkeeping: q now holds id for this holder. */
  holds(q: MsgQueue, id: number): void {
    let s = this.ids.get(q);
    if (!s) {
      s = new Set();
      this.ids.set(q, s);
    }
    s.add(id);
  }

  /** MsgQueue's bookkeeping: id was acknowledged. */
  dropped(q: MsgQueue, id: number): void {
    const s = this.ids.get(q);
    if (!s) return;
    s.delete(id);
    if (!s.size) this.ids.delete(q);
  }

  /** MsgQueue's bookkeeping: q was removed, its held messages with it. */
  forget(q: MsgQueue): void {
    this.ids.delete(q);
  }
}
