import type { EarlyTable } from './early-replies.js';

/**
 * Where FUSE messages come from and go to. The session only sees this interface, so tests can put a
 * synthetic kernel behind it (test/fs/fuse/synthetic-kernel.ts) and the daemon puts /dev/fuse.
 */
export interface Channel {
  /**
   * Starts delivering requests; onEnd runs once, when the connection is gone (unmount, abort, close).
   * answeredEarly: the unique of the request an early reply answered because of msg (0: none).
   */
  start(onMessage: (msg: Buffer, answeredEarly: number) => void, onEnd: (err?: Error) => void): void;
  /** Early replies (early-replies.ts), where the channel can send them from its read path. */
  readonly early?: EarlyTable;
  /** Writes one reply or notification; returns 0, or -errno (ENOENT: the request was interrupted). */
  write(msg: Buffer): number;
  /** The read buffer size, fixed when INIT settles max_write. */
  setReadSize(bytes: number): void;
  close(): void;
}
