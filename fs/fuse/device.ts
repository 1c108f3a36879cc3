/**
 * /dev/fuse as a Channel. The fd is non-blocking and watched by the main loop's epoll (a uv_poll_t in
 * our addon), so a request is read and dispatched on the thread that handles it, with no threadpool
 * hop. The addon reads a wake-up's first request before entering JS; JS then drains the queue until
 * EAGAIN: every queued request is dispatched at once, so a handler that waits (a blocked semaphore)
 * never holds up the requests behind it.
 */
import { closeSync } from 'node:fs';
import { Errno, errnoName } from './errno.js';
import { FUSE_MIN_READ_BUFFER } from './abi.js';
import type { Channel } from './channel.js';
import { nativeEarlyTable, type EarlyTable } from './early-replies.js';
import { native } from './native.js';

/** A client's next request usually follows our reply within a few microseconds. */
import { DEFAULT_BUSY_POLL_US } from './device-defaults.js';
export { DEFAULT_BUSY_POLL_US };

/** How many requests one wake-up reads before yielding to the rest of the loop (timers, I/O). */
const MAX_READS_PER_WAKEUP = 64;

export class FuseDevice implements Channel {
  private buf = Buffer.allocUnsafe(FUSE_MIN_READ_BUFFER);
  private poller: unknown = null;
  private ended = false;
  private onMessage: (msg: Buffer, answeredEarly: number) => void = () => {};
  private readonly earlyHandle: unknown;
  readonly early: EarlyTable;
  private onEnd: (err?: Error) => void = () => {};

  /**
   * busyPollUs: after a burst of requests, keep polling the device this long before sleeping in
   * epoll (see native/ipcfs_native.c on_readable); 0 turns it off.
   */
  constructor(readonly fd: number, private readonly busyPollUs = DEFAULT_BUSY_POLL_US) {
    const rc = native.setNonBlocking(fd);
    if (rc < 0) throw new Error(`fcntl(O_NONBLOCK) on /dev/fuse: ${errnoName(-rc)}`);
    ({ handle: this.earlyHandle, table: this.early } = nativeEarlyTable());
  }

  setReadSize(bytes: number): void {
    this.buf = Buffer.allocUnsafe(Math.max(bytes, FUSE_MIN_READ_BUFFER));
    if (this.poller) native.pollSetBuffer(this.poller, this.buf);
  }

  start(onMessage: (msg: Buffer, answeredEarly: number) => void, onEnd: (err?: Error) => void): void {
    this.onMessage = onMessage;
    this.onEnd = onEnd;
    this.poller = native.pollStart(this.fd, this.buf, (first, answered) => this.drain(first, answered), this.busyPollUs, this.earlyHandle);
  }

  /**
   * first: the addon's read of this wake-up (a length, 0 or -errno, never EAGAIN or ENOENT), and the
   * request an early reply answered because of it (0: none).
   */
  private drain(first: number, answered: number): void {
    let n = first;
    for (let i = 0; i < MAX_READS_PER_WAKEUP && !this.ended; i++) {
      if (i > 0) n = native.read(this.fd, this.buf);
      if (n > 0) {
        // Copy out: the read buffer is reused, a handler may keep its request past this tick.
        this.onMessage(Buffer.from(this.buf.subarray(0, n)), i === 0 ? answered : 0);
        continue;
      }
      if (n === -Errno.EAGAIN) return;
      // ENOENT: the request was interrupted between poll and read; just read on.
      if (n === -Errno.ENOENT) continue;
      // ENODEV: unmounted; ECONNABORTED: aborted through /sys/fs/fuse/connections.
      const err = n === 0 || n === -Errno.ENODEV || n === -Errno.ECONNABORTED
        ? undefined
        : new Error(`read /dev/fuse: ${errnoName(-n)}`);
      this.finish(err);
      return;
    }
  }

  write(msg: Buffer): number {
    if (this.ended) return -Errno.ENODEV;
    const n = native.write(this.fd, msg, msg.length);
    return n < 0 ? n : 0;
  }

  private finish(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    if (this.poller) native.pollStop(this.poller);
    this.poller = null;
    this.onEnd(err);
  }

  close(): void {
    this.finish();
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
