/**
 * The mount the util-linux-style tools read (`--mount DIR`, else IPCFS_MOUNT, else /mnt/ipc), checked
 * before anything else: a directory that is no ipcfs mount, or a mount whose daemon has died, is
 * one clear line on stderr and exit status 1, not a stack trace or an empty listing that looks
 * like "no objects".
 */
import { readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_MOUNTPOINT } from '../fs/daemon-defaults.js';

/** A mount point as /proc/self/mountinfo writes it: space, tab, newline and backslash as octal. */
const unescapeMountinfo = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The filesystem type mounted at dir (its last mount there), or null when dir is no mount point. */
export function mountTypeAt(dir: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string | null {
  let type: string | null = null;
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (sep < 0 || fields.length < 5) continue;
    if (unescapeMountinfo(fields[4]!) === dir) type = fields[sep + 1] ?? null;
  }
  return type;
}

/**
 * Returns null when dir is a live ipcfs mount, else the line to print (without the program
 * name): not mounted, mounted by something else, or its daemon gone (ENOTCONN).
 */
export function mountProblem(dir: string): string | null {
  // another filesystem mounted at the path as written is refused before anything touches it:
  // a hung FUSE mount of another kind would block the tool in its first request
  const other = mountTypeAt(resolve(dir));
  if (other !== null && other !== 'fuse.ipcfs') return notIpcfs(dir, other);
  let real: string;
  try {
    real = realpathSync(dir);
    // a read asks the daemon itself (a stat may be answered from the kernel's attribute cache);
    // a dead daemon leaves ENOTCONN on every request to its mount
    readFileSync(`${real}/limits/sem`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTCONN') return `${dir}: the ipcfs daemon of this mount is not running (unmount it with: ipcfs umount ${dir})`;
    return notIpcfs(dir, mountTypeAt(safeRealpath(dir))) ?? `${dir}: ${(err as Error).message}`;
  }
  return notIpcfs(dir, mountTypeAt(real));
}

function notIpcfs(dir: string, type: string | null): string | null {
  if (type === 'fuse.ipcfs') return null;
  return `${dir}: not an ipcfs mount${type ? ` (${type} is mounted there)` : ''} (start one with: ipcfs mount ${dir})`;
}

function safeRealpath(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

/** The mount of the command line (--mount, else IPCFS_MOUNT, else /mnt/ipc); an empty IPCFS_MOUNT is unset, as the shell's ${IPCFS_MOUNT:-/mnt/ipc}. */
export const mountFrom = (option: string | undefined, env: NodeJS.ProcessEnv = process.env): string => option ?? (env.IPCFS_MOUNT || DEFAULT_MOUNTPOINT);

/**
 * Checks dir for a util-linux-style tool named prog: null when usable, else the exit status (1)
 * after printing "prog: DIR: why".
 */
export function requireMount(dir: string, prog: string): number | null {
  const problem = mountProblem(dir);
  if (!problem) return null;
  process.stderr.write(`${prog}: ${problem}\n`);
  return 1;
}
