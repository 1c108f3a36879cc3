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
 * When a process started (field 22 of /proc/PID/stat, in clock ticks since boot), or null if it
 * is gone: with its pid it names one process for good, where a pid alone may be reused.
 */
export function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the fields after the command name (which may contain spaces and parentheses)
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
