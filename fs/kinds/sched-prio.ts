/**
 * A waiting thread's scheduling priority, as the kernel's wait lists see it, on the scale of
 * ipc/sched-order.ts (smaller is served first). Read from /proc/<tid>/stat, once, and only when a
 * call has to wait: a call that completes at once never pays for it. A waiter then keeps its place
 * if its thread's priority changes, as in Linux, whose futex and mqueue lists are sorted once, when
 * the task queues (only PI futexes, which POSIX semaphores do not use, are re-sorted on a change).
 *
 * /proc/<tid>/stat after the comm's closing ')': field 18 `priority` is task->prio - 100 (the
 * effective priority, -100..-2 real-time, 0..39 normal, -101 deadline), field 40 rt_priority,
 * field 41 policy. A thread /proc no longer knows (gone, another pid namespace, pid 0) counts as a
 * normal task: it is no more urgent than anyone.
 */
import { readFileSync } from 'node:fs';
import { NORMAL_PRIO, NORMAL_TASK_PRIO } from '../../ipc/sched-order.js';

const SCHED_FIFO = 1;
const SCHED_RR = 2;
const SCHED_DEADLINE = 6;
const MAX_RT_PRIO = 100;

function statFields(tid: number): string[] | null {
  if (!(tid > 0)) return null;
  try {
    const s = readFileSync(`/proc/${tid}/stat`, 'latin1');
    // fields from 3 (state) on: index = field number - 3
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * kernel/futex's order (what glibc's sem_post wakes): min(normal_prio, MAX_RT_PRIO), so real-time
 * threads by their rt_priority, deadline ones before them, every other thread equal. normal_prio
 * ignores priority inheritance boosts, so it comes from the policy, not from `priority`.
 */
export function futexPrioOf(tid: number): number {
  const f = statFields(tid);
  if (!f) return NORMAL_PRIO;
  const policy = Number(f[41 - 3]);
  if (policy === SCHED_DEADLINE) return -1;
  if (policy === SCHED_FIFO || policy === SCHED_RR) return MAX_RT_PRIO - 1 - Number(f[40 - 3]);
  return NORMAL_PRIO;
}

/** ipc/mqueue.c's wq_add order: task->prio, so real-time threads first, then the others by nice. */
export function taskPrioOf(tid: number): number {
  const f = statFields(tid);
  const p = f ? Number(f[18 - 3]) : NaN;
  return Number.isInteger(p) ? p + MAX_RT_PRIO : NORMAL_TASK_PRIO;
}
