/**
 * Backing files for FUSE passthrough (7.40): a file descriptor registered on the connection with
 * FUSE_DEV_IOC_BACKING_OPEN gets an id; an OPEN reply with FOPEN_PASSTHROUGH and that id makes
 * the kernel serve the open's read(2), write(2) and mmap(2) from the backing file itself, without
 * a request to the daemon (fs/fuse/passthrough.c; mmap maps the backing file's own pages).
 *
 * When it works: the kernel has CONFIG_FUSE_PASSTHROUGH (6.9+), INIT accepted FUSE_PASSTHROUGH
 * (Session option `passthrough`), and the daemon has CAP_SYS_ADMIN (fuse_backing_open refuses
 * others with EPERM) — in practice a daemon mounted by root, not one mounted through fusermount3.
 * `available` says whether the connection allows it; `open` may still fail (EPERM without the
 * capability), and the caller then serves the object through the page cache.
 *
 * An id stays valid until closed; the kernel looks it up when the opener finishes its open, after
 * our reply, so an id must stay registered while any OPEN that named it may still be in flight:
 * close it only once its object is gone and every open of it was released.
 */
import { native } from './native.js';

export interface BackingFiles {
  /** INIT accepted FUSE_PASSTHROUGH. */
  readonly available: boolean;
  /** Registers fd: its id (> 0), or -errno (EPERM: no CAP_SYS_ADMIN or no passthrough). */
  open(fd: number): number;
  /** Unregisters id: 0 or -errno. */
  close(id: number): number;
}

/** A connection that never offers passthrough (tests without a device, unprivileged daemons). */
export const NO_BACKING_FILES: BackingFiles = {
  available: false,
  open: () => -1, // EPERM
  close: () => 0,
};

/** The backing files of one /dev/fuse connection. */
export class DeviceBackingFiles implements BackingFiles {
  available = false;

  constructor(private readonly devFd: number) {}

  /** Called once INIT settled (ConnectionInfo.passthrough). */
  enable(passthrough: boolean): void {
    this.available = passthrough;
  }

  open(fd: number): number {
    if (!this.available) return -1;
    return native.backingOpen(this.devFd, fd);
  }

  close(id: number): number {
    return native.backingClose(this.devFd, id);
  }
}

/** Whether this process has CAP_SYS_ADMIN in its effective set (/proc/self/status CapEff, bit 21). */
export function hasCapSysAdmin(status: string): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  if (!m) return false;
  return (BigInt(`0x${m[1]}`) >> 21n) & 1n ? true : false;
}
