/**
 * The daemon's own permission checks, made on every path whether or not the kernel checked first
 * (with default_permissions it did; without it, or for a `.new` command that creates directories,
 * nothing else does). The rules are the kernel's generic_permission and may_delete.
 */
import { Errno, fail } from '../../ipc/errno.js';
import { S_IFDIR, S_IFMT } from '../fuse/abi.js';
import type { FsNode, Stat } from './node.js';

/** access(2) mask bits, as in MAY_EXEC/MAY_WRITE/MAY_READ. */
export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;

export interface Who {
  readonly uid: number;
  readonly gid: number;
  /**
   * Supplementary groups; read only when the owner class did not apply. null: they cannot be
   * known (the caller's /proc entry is gone or in another pid namespace), so the caller may be in
   * the group class or not: only what both the group and the others' class grant is granted.
   */
  readonly groups?: readonly number[] | null;
}

const STICKY = 0o1000;

/**
 * generic_permission on mode bits: the owner class, else the group class (primary or supplementary
 * group), else other. Root (CAP_DAC_OVERRIDE) passes, except for executing a non-directory that
 * has no execute bit at all.
 */
export function modePermits(s: Pick<Stat, 'mode' | 'uid' | 'gid'>, who: Who, mask: number): boolean {
  mask &= 7;
  if (who.uid === 0) return !(mask & MAY_EXEC) || (s.mode & S_IFMT) === S_IFDIR || (s.mode & 0o111) !== 0;
  let bits = s.mode;
  if (who.uid === s.uid) bits >>= 6;
  else if (who.gid === s.gid || (who.groups?.includes(s.gid) ?? false)) bits >>= 3;
  else if (who.groups === null) bits &= bits >> 3; // group class or others': what both grant
  return (mask & ~bits & 7) === 0;
}

/** A node's own rule (an IPC object's ipcperms) or, by default, its mode bits. */
export function permits(node: FsNode, who: Who, mask: number): boolean {
  if (node.permits) return node.permits(who, mask);
  // root's search of a directory, the common case, needs no stat()
  if (who.uid === 0 && (node.kind === 'dir' || !(mask & MAY_EXEC))) return true;
  return modePermits(node.stat(), who, mask);
}

export function checkAccess(node: FsNode, who: Who, mask: number, what: string): void {
  if (!permits(node, who, mask)) fail(Errno.EACCES, `${what}: permission denied`);
}

/** Search permission on a directory: needed to look up anything in it. */
export function checkSearch(dir: FsNode, who: Who): void {
  checkAccess(dir, who, MAY_EXEC, 'search');
}

/** Making an entry in dir (open O_CREAT, mknod, mkdir, `.new`): write and search permission. */
export function checkCreate(dir: FsNode, who: Who): void {
  checkAccess(dir, who, MAY_WRITE | MAY_EXEC, 'create');
}

/**
 * Removing child from dir (unlink, rmdir): write and search permission on dir, then the sticky
 * bit: in a sticky directory only the entry's owner, the directory's owner or root may remove it
 * (EPERM, as may_delete answers).
 */
export function checkDelete(dir: FsNode, child: FsNode, who: Who): void {
  checkAccess(dir, who, MAY_WRITE | MAY_EXEC, 'remove');
  const d = dir.stat();
  if (!(d.mode & STICKY) || who.uid === 0 || who.uid === d.uid || who.uid === child.stat().uid) return;
  fail(Errno.EPERM, 'sticky directory: only the owner of the entry or of the directory may remove it');
}
