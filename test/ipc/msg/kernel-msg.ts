/**
 * The kernel as the oracle for ipc/msg: test/ipc/msg/kernel-msg.c (built here with gcc) runs
 * System V message queue commands on the kernel's own queues, one process per actor.
 *
 * A blocked call is recognised by the process's wait channel (/proc/PID/wchan: do_msgsnd or
 * do_msgrcv, state S), never by a sleep: a waiter that the kernel woke is TASK_RUNNING (wchan 0)
 * until it answers, and it is woken before the call that woke it returns.
 */
import { readFileSync } from 'node:fs';
import { Actor } from '../../helpers/kernel-sem.js';
import { builtOnce } from '../../helpers/c-helper.js';

/** Builds kernel-msg.c once per test process. */
export const kernelMsgBinary = (): string => builtOnce('test/ipc/msg/kernel-msg.c');

/** Where the process sleeps: 'send', 'receive', or null (running, or anywhere else). */
export function blockedIn(pid: number): 'send' | 'receive' | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'S') return null;
    const wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8');
    return wchan === 'do_msgsnd' ? 'send' : wchan === 'do_msgrcv' ? 'receive' : null;
  } catch {
    return null;
  }
}

/** A kernel-msg process (test/helpers/kernel-sem.ts's Actor); prefix: e.g. setpriv as another user. */
export function startMsgActor(prefix: readonly string[] = []): Promise<KernelActor> {
  return Actor.start([], [...prefix, kernelMsgBinary()]);
}

/**
 * A kernel-msg process in file mode: the same commands, run on an ipcfs mqueue/sysv/<msqid> file
 * that it opens once (O_RDWR), with answers of the same form as the kernel's.
 */
export function startMsgFileActor(file: string, prefix: readonly string[] = []): Promise<KernelActor> {
  return Actor.start(['file', file], [...prefix, kernelMsgBinary()]);
}

export type KernelActor = Actor;
