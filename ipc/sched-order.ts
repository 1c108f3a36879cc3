/**
 * Where a waiter goes in a list served from its head, when Linux serves waiters by scheduling
 * priority: a smaller number first (the kernel's own scale, task->prio and its relatives: 0..99 for
 * real-time tasks, 100 and up for normal ones), and among equals the one that has waited longest.
 * Callers that want plain arrival order give every waiter the same number (System V semaphores).
 * The search runs from the tail, so a list of equals costs what a push costs.
 */
export interface Prioritized {
  readonly prio: number;
}

/** Where kernel/futex puts every normal (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE) task: MAX_RT_PRIO. */
export const NORMAL_PRIO = 100;

/** task->prio of a normal task at nice 0 (120 + nice), where ipc/mqueue.c's wq_add looks. */
export const NORMAL_TASK_PRIO = 120;

export function insertByPrio<T extends Prioritized>(list: T[], w: T): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.prio > w.prio) i--;
  if (i === list.length) list.push(w);
  else list.splice(i, 0, w);
}
