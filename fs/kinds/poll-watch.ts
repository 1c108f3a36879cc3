/**
 * POLL readiness of one open file of an object, written once for every kind: the ready bits now,
 * and one wake-up for a poller that found some of its events not ready (fs/fuse: the kernel then
 * polls again). The object reports every change through its watchers.
 */

/** POLL bits (poll.h) */
export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLRDNORM = 0x40;
export const POLLWRNORM = 0x100;
export const POLLERR = 0x8;

export interface Watched {
  /** removed for good (IPC_RMID): POLLERR, and no change will ever come */
  readonly removed: boolean;
  /** called after every change of the object */
  readonly watchers: Set<() => void>;
}

export class PollWatch {
  private watcher: (() => void) | null = null;

  /** readiness: the POLL* bits ready now (the kind's rule) */
  constructor(private readonly obj: Watched, private readonly readiness: () => number) {}

  /**
   * Ready bits for events (a removed object: POLLERR, and POLLIN and POLLOUT as asked: a command
   * fails at once with EIDRM); with wake, a POLL that finds some of its events not ready is woken once,
   * by the first change after which one of those is (or the object is removed): an edge-triggered
   * epoll on POLLIN|POLLOUT needs the wake-up for POLLIN even though POLLOUT was ready.
   */
  poll(events: number, wake: (() => void) | null): number {
    // removed: every command answers at once (EIDRM), and no change will ever come to wake a poller
    if (this.obj.removed) return POLLERR | (events & (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM));
    const ready = this.readiness() & events;
    const missing = events & ~ready;
    if (wake && missing) {
      this.stop();
      const once = (): void => {
        if (!(this.readiness() & missing) && !this.obj.removed) return;
        this.stop();
        wake();
      };
      this.watcher = once;
      this.obj.watchers.add(once);
    }
    return ready;
  }

  /** No wake-up from now on (the handle is released, or a new POLL replaces the last one). */
  stop(): void {
    if (this.watcher) this.obj.watchers.delete(this.watcher);
    this.watcher = null;
  }
}
