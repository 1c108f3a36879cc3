/**
 * System V IPC permissions (ipc/util.c ipcperms): the owner class applies to the owner *and* the
 * creator, the group class to the owner's and the creator's group; root (uid 0) passes.
 */
import { Errno, fail } from '../errno.js';

export interface IpcPerm {
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  /** low 9 bits used */
  mode: number;
}

export interface Who {
  uid: number;
  gid: number;
  /**
   * supplementary groups; null when they cannot be known: the caller may then be in the group
   * class or the others', and only what both grant is granted (never more than Linux would)
   */
  groups?: readonly number[] | null;
}

export const READ = 4;
/** "alter" permission is the write bit */
export const ALTER = 2;

export function permitted(perm: IpcPerm, who: Who, requested: number): boolean {
  if (who.uid === 0) return true;
  let granted = perm.mode;
  const inGroup = (g: number): boolean => who.gid === g || (who.groups?.includes(g) ?? false);
  if (who.uid === perm.cuid || who.uid === perm.uid) granted >>= 6;
  else if (inGroup(perm.cgid) || inGroup(perm.gid)) granted >>= 3;
  else if (who.groups === null) granted &= granted >> 3;
  return (requested & ~granted & 0o7) === 0;
}

export function checkPerm(perm: IpcPerm, who: Who, requested: number, what: string): void {
  if (!permitted(perm, who, requested)) fail(Errno.EACCES, `${what}: permission denied`);
}

/** IPC_SET and IPC_RMID: the owner, the creator or root (CAP_SYS_ADMIN). */
export function checkOwner(perm: IpcPerm, who: Who, what: string): void {
  if (who.uid !== 0 && who.uid !== perm.uid && who.uid !== perm.cuid) fail(Errno.EPERM, `${what}: not the owner or creator`);
}

/** (uid_t)-1: never a valid id (make_kuid gives INVALID_UID). */
export const INVALID_ID = 0xffffffff;

/** A uid or gid IPC_SET may store: a 32-bit id other than (uid_t)-1, else EINVAL as Linux's uid_valid. */
export function checkId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id >= INVALID_ID) fail(Errno.EINVAL, `${what}=${id}: not a valid id (0..${INVALID_ID - 1})`);
}

/**
 * IPC_SET: new uid, gid and the low 9 bits of mode. Linux checks the ids (EINVAL) before the
 * caller's right to change them (EPERM), and changes nothing when either fails.
 */
export function ipcSet(perm: IpcPerm, who: Who, change: { uid?: number; gid?: number; mode?: number }): void {
  if (change.uid !== undefined) checkId(change.uid, 'uid');
  if (change.gid !== undefined) checkId(change.gid, 'gid');
  checkOwner(perm, who, 'IPC_SET');
  if (change.uid !== undefined) perm.uid = change.uid;
  if (change.gid !== undefined) perm.gid = change.gid;
  if (change.mode !== undefined) perm.mode = (perm.mode & ~0o777) | (change.mode & 0o777);
}
