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
