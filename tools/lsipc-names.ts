/**
 * What lsipc looks up outside the mount: user and group names (tools/passwd.ts, the files database
 * that getpwuid/getgrgid read) and a pid's command line for COMMAND (/proc/PID/cmdline, as
 * util-linux's pid_get_cmdline reads it).
 */
import { readFileSync } from 'node:fs';
import { groupName, userName } from './passwd.js';
import type { Lookup } from './lsipc-rows.js';

/** /proc/PID/cmdline with its NULs as spaces, null when empty or gone (pid_get_cmdline). */
export function cmdline(pid: number): string | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return null;
  }
  return raw.replace(/\0+$/, '').replace(/\0/g, ' ') || null;
}

/** This system's lookup. */
export function systemLookup(): Lookup {
  return { user: (uid) => userName(uid) ?? null, group: (gid) => groupName(gid) ?? null, cmdline };
}
