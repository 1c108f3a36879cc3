/** What the status of an object shows of a process that holds something in it. */
import { readFileSync } from 'node:fs';

/** The process name as bytes (latin1, one char per byte); statuses escape it when printing. */
export function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'latin1').replace(/\n$/, '');
  } catch {
    return '?';
  }
}

/**
 * When process pid started (field 22 of /proc/PID/stat, in clock ticks since boot), or null when
 * there is no such process. A pid and its start time name one process: a later process that reuses
 * the number has a later start time.
 */
export function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the command name (field 2) may hold spaces and parentheses: count from its closing one
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
