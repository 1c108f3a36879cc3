/** What the status of an object shows of a process that holds something in it. */
import { closeSync, readFileSync } from 'node:fs';
import { native } from '../fuse/native.js';

/** The process name as bytes (latin1, one char per byte); statuses escape it when printing. */
export function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'latin1').replace(/\n$/, '');
  } catch {
    return '?';
  }
}

/** si_code of an mq_notify signal (asm-generic/siginfo.h) */
export const SI_MESGQ = -3;

/** What a signal tells its receiver: si_code (negative, not SI_TKILL), si_value, si_pid, si_uid. */
export interface SigInfo {
  code: number;
  value: bigint;
  pid: number;
  uid: number;
}

/**
 * One process for good, through a pidfd: a signal sent through it reaches that process or nobody,
 * never a later process that reuses its pid (a pid and its start time are not enough: two processes
 * started in the same clock tick share a start time). As Linux's struct pid reference.
 */
export class ProcessRef {
  private watch: unknown = null;
  private constructor(private fd: number) {}

  /** null when pid names no process now */
  static of(pid: number): ProcessRef | null {
    const fd = native.pidfdOpen(pid);
    return fd < 0 ? null : new ProcessRef(fd);
  }

  /** 0, or -errno (ESRCH: the process is gone). With info, the siginfo it receives (else SI_USER's). */
  signal(sig: number, info?: SigInfo): number {
    if (this.fd < 0) return -3; /* ESRCH */
    return info ? native.pidfdSignal(this.fd, sig, info.code, info.value, info.pid, info.uid) : native.pidfdSignal(this.fd, sig);
  }

  /**
   * onExit runs once, on the main loop, when the process has ended (at once if it already has):
   * the kernel wakes the pidfd, nothing polls. close() first cancels it. A watch does not keep
   * the event loop alive: a stopped daemon exits while watched processes run on.
   */
  onExit(onExit: () => void): void {
    if (this.fd < 0 || this.watch) throw new Error('ProcessRef.onExit: closed, or watched already');
    this.watch = native.exitWatch(this.fd, onExit);
  }

  /** The process has ended (exited or killed; reaped or not). */
  get ended(): boolean {
    return this.fd < 0 || native.fdReadable(this.fd) === 1;
  }

  close(): void {
    if (this.fd < 0) return;
    if (this.watch) native.exitUnwatch(this.watch);
    this.watch = null;
    closeSync(this.fd);
    this.fd = -1;
  }
}
