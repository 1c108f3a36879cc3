/** The addon built from native/ipcfs_native.c (see there for why each call exists). */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export interface Native {
  read(fd: number, buf: Buffer): number;
  write(fd: number, buf: Buffer, length: number): number;
  setNonBlocking(fd: number): number;
  socketPair(): [number, number] | number;
  recvFd(sock: number): number;
  /**
   * callback(result, answered): one request read into buffer (its length), 0 at end of file, or
   * -errno; answered: the unique of the request an early reply answered because of it, or 0.
   */
  pollStart(fd: number, buffer: Buffer, onRead: (result: number, answered: number) => void, spinMicros: number, earlyTable?: unknown): unknown;
  earlyTable(): unknown;
  /** a pidfd for pid (close it with fs.closeSync), or -errno */
  pidfdOpen(pid: number): number;
  /**
   * 0, or -errno (ESRCH: that process is gone). With code (negative, not SI_TKILL), value, pid and
   * uid the signal carries them as its siginfo; without, it is kill(2)'s (SI_USER).
   */
  pidfdSignal(fd: number, sig: number, code?: number, value?: bigint, pid?: number, uid?: number): number;
  /** [policy, nice, rt_priority] of a thread (sched_getattr), or -errno (ESRCH: gone) */
  schedOf(tid: number): [number, number, number] | number;
  /** calls onExit once, on the main loop, when pidfd's process has ended; exitUnwatch stops it */
  exitWatch(pidfd: number, onExit: () => void): unknown;
  /** stops a watch that has not fired (no-op once fired or stopped) */
  exitUnwatch(handle: unknown): void;
  /** 1 when fd polls readable now (a pidfd: its process has ended), else 0 */
  fdReadable(fd: number): number;
  /** prctl(PR_SET_CHILD_SUBREAPER, 1): 0, or -errno */
  setChildSubreaper(): number;
  /** waitpid(pid, WNOHANG): pid once reaped, 0 while it runs, or -errno (ECHILD: not our child) */
  reapChild(pid: number): number;
  /** rule: [uid, cuid, gid, cgid, mode, want]; reply null disarms */
  earlySet(table: unknown, slot: number, reply: Buffer | null, unique?: number, command?: Buffer, rule?: number[]): number;
  earlyBind(table: unknown, fh: number, slot: number): number;
  earlyMatch(table: unknown, request: Buffer, length: number): number;
  pollSetBuffer(handle: unknown, buffer: Buffer): void;
  pollStop(handle: unknown): void;
  /** the busy-poll after a wake-up blockedNs after sleeping, given this one and the most (the addon's rule, for tests) */
  nextSpinNs(spinNs: number, maxNs: number, blockedNs: number): number;
  /** memfd_create(name, MFD_CLOEXEC [| MFD_ALLOW_SEALING]): the fd, or -errno. */
  memfdCreate(name: string, sealable: boolean): number;
  /** fcntl(fd, F_ADD_SEALS, seals): 0, or -errno. */
  addSeals(fd: number, seals: number): number;
  /** FUSE_DEV_IOC_BACKING_OPEN on the /dev/fuse fd: the backing id (> 0), or -errno. */
  backingOpen(devFd: number, fd: number): number;
  /** FUSE_DEV_IOC_BACKING_CLOSE: 0, or -errno. */
  backingClose(devFd: number, id: number): number;
}

// dist/fs/fuse/native.js and fs/fuse/native.ts both sit two levels below the package root.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const candidates = [
  join(root, 'fs/fuse/native/build/Release/ipcfs_native.node'),
  join(root, '..', 'fs/fuse/native/build/Release/ipcfs_native.node'),
];

function load(): Native {
  const require = createRequire(import.meta.url);
  let lastError: unknown;
  for (const path of candidates) {
    try {
      return require(path) as Native;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`ipcfs native addon not built (run npm install): ${String(lastError)}`);
}

export const native: Native = load();
