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
    raw = bytesAsText(readFileSync(`/proc/${pid}/cmdline`));
  } catch {
    return null;
  }
  return raw.replace(/\0+$/, '').replace(/\0/g, ' ') || null;
}

/**
 * UTF-8 text as is, each byte that is not part of a valid UTF-8 character as \xNN, as util-linux's
 * mbs_safe_encode shows it (a plain decode would put U+FFFD there: bytes that were never there).
 */
export function bytesAsText(buf: Buffer): string {
  let out = '';
  for (let i = 0; i < buf.length; ) {
    const b = buf[i]!;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    // a sequence is valid when it decodes and encodes back to the same bytes (no overlong form, no surrogate)
    if (n > 0 && i + n <= buf.length && Buffer.from(buf.toString('utf8', i, i + n)).equals(buf.subarray(i, i + n))) {
      out += buf.toString('utf8', i, i + n);
      i += n;
    } else {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

/** This system's lookup. */
export function systemLookup(): Lookup {
  return { user: (uid) => userName(uid) ?? null, group: (gid) => groupName(gid) ?? null, cmdline };
}
