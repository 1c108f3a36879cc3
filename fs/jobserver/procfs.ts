/**
 * What the jobserver needs to know of processes, from /proc: a process's parent, session and start
 * time (to walk up to an ancestor that holds a token, and to tell a dead make's orphaned jobs from
 * other processes), and a process's children. Read only on the rare paths: a process's first take,
 * a give from a process that holds nothing, a holder's death.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly session: number;
  /** clock ticks after boot */
  readonly starttime: number;
  /** 'Z' for a zombie: ended, not yet reaped */
  readonly state: string;
}

/** /proc/PID/stat, or null when there is no such process. */
export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // comm is in parentheses and may hold anything, ')' included: the fields follow the last ')'
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields from 3 on: state(3) ppid(4) pgrp(5) session(6) ... starttime(22)
  return { pid, state: f[0]!, ppid: Number(f[1]), session: Number(f[3]), starttime: Number(f[19]) };
}

/** pid's ancestors, nearest first, up to (not including) pid 0; stops at the first unreadable one. */
export function ancestorsOf(pid: number, max = 64): number[] {
  const line: number[] = [];
  let p = procStat(pid)?.ppid ?? 0;
  while (p > 0 && line.length < max) {
    line.push(p);
    p = procStat(p)?.ppid ?? 0;
  }
  return line;
}

/** The children of every thread of pid (/proc/PID/task/TID/children), or [] when pid is gone. */
export function childrenOf(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ')) if (c.trim()) out.push(Number(c));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * The children of pid's main thread (/proc/PID/task/PID/children): one read. The kernel gives a
 * subreaper's orphans to its first live thread (find_new_reaper -> find_alive_thread), the main
 * thread while the process lives, so these are all the orphans a reaper has.
 */
export function mainThreadChildrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').split(' ').filter((c) => c.trim()).map(Number);
  } catch {
    return [];
  }
}

/** The command line, arguments joined by spaces (NULs in /proc/PID/cmdline), or '' when gone. */
export function cmdlineOf(pid: number, max = 200): string {
  try {
    const s = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0+$/, '').replace(/\0/g, ' ');
    return s.length > max ? `${s.slice(0, max)}...` : s;
  } catch {
    return '';
  }
}
