/**
 * User and group names for lsipc's OWNER, USER, CUSER, GROUP and CGROUP columns, and a pid's
 * command line for COMMAND. util-linux asks getpwuid/getgrgid (NSS); Node has no such call, so
 * this reads /etc/passwd and /etc/group, which is what NSS's "files" source reads (a uid known
 * only to LDAP or sssd shows as its number in OWNER and as nothing in USER).
 */
import { readFileSync } from 'node:fs';
import type { Lookup } from './lsipc-rows.js';

/** id -> name from a passwd(5)/group(5) text: the first entry for an id wins, as getpwuid's. */
export function parseIdNames(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || !f[0] || line.startsWith('#')) continue;
    const id = Number(f[2]);
    if (Number.isInteger(id) && !names.has(id)) names.set(id, f[0]);
  }
  return names;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** /proc/PID/cmdline as lsipc's pid_get_cmdline: NULs as spaces, null when empty or gone. */
export function cmdline(pid: number): string | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const raw = readOr(`/proc/${pid}/cmdline`);
  const s = raw.replace(/\0+$/, '').replace(/\0/g, ' ');
  return s || null;
}

/** The lookup of this system, its files read once, when first needed. */
export function systemLookup(): Lookup {
  let users: Map<number, string> | undefined;
  let groups: Map<number, string> | undefined;
  return {
    user: (uid) => (users ??= parseIdNames(readOr('/etc/passwd'))).get(uid) ?? null,
    group: (gid) => (groups ??= parseIdNames(readOr('/etc/group'))).get(gid) ?? null,
    cmdline,
  };
}
