/**
 * A waiting thread's scheduling priority, as the kernel's wait lists see it, on the scale of
 * ipc/sched-order.ts (smaller is served first). Read once, and only when a call has to wait: a
 * call that completes at once never pays for it. A waiter then keeps its place if its thread's
 * priority changes, as in Linux, whose futex and mqueue lists are sorted once, when the task
 * queues (only PI futexes, which POSIX semaphores do not use, are re-sorted on a change).
 *
 * One sched_getattr(2) through the addon (policy, nice, rt_priority): about a microsecond, where
 * reading /proc/<tid>/stat cost the daemon 10-20 us on every wait (a semaphore ping-pong's round
 * trip went from 33 to 44 us). The kernel's numbers follow from them as its __normal_prio computes
 * them: deadline -1, real-time 99 - rt_priority, any other policy 120 + nice. A thread the kernel
 * no longer knows (gone, another pid namespace, pid 0) counts as a normal task: no more urgent
 * than anyone.
 *
 * mqueue's wq_add orders by task->prio, which a priority-inheritance boost can raise above
 * normal_prio; a queue waiter holding a PI mutex that someone more urgent waits for is placed by its
 * own priority here (boosts last as long as the mutex is held, rarely across a queue wait).
 */
import { native } from '../fuse/native.js';
import { NORMAL_PRIO, NORMAL_TASK_PRIO } from '../../ipc/sched-order.js';

const SCHED_FIFO = 1;
const SCHED_RR = 2;
const SCHED_DEADLINE = 6;
const MAX_RT_PRIO = 100;

/** The kernel's normal_prio of tid, or null when it does not know that thread. */
function normalPrio(tid: number): number | null {
  if (!(tid > 0) || !Number.isInteger(tid) || tid > 0x7fffffff) return null;
  const s = native.schedOf(tid);
  if (typeof s === 'number') return null;
  const [policy, nice, rtPriority] = s;
  if (policy === SCHED_DEADLINE) return -1;
  if (policy === SCHED_FIFO || policy === SCHED_RR) return MAX_RT_PRIO - 1 - rtPriority;
  return NORMAL_TASK_PRIO + nice;
}

/**
 * kernel/futex's order (what glibc's sem_post wakes): min(normal_prio, MAX_RT_PRIO), so real-time
 * threads by their rt_priority, deadline ones before them, every other thread equal.
 */
export function futexPrioOf(tid: number): number {
  const p = normalPrio(tid);
  return p === null ? NORMAL_PRIO : Math.min(p, MAX_RT_PRIO);
}

/** ipc/mqueue.c's wq_add order: task->prio, so real-time threads first, then the others by nice. */
export function taskPrioOf(tid: number): number {
  return normalPrio(tid) ?? NORMAL_TASK_PRIO;
}
