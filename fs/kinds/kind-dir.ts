/**
 * What every kind directory shares (semaphores/, mqueue/, shared-memory/ ... named/, sysv/):
 * mode 1777 like /dev/shm (anyone may create, only an object's owner removes it), the `.new` clone
 * file that is part of the directory, names that can name an object, and what a directory needs of
 * the object files it lists.
 */
import { Errno, fail } from '../../ipc/errno.js';
import type { IpcPerm } from '../../ipc/semaphores/perms.js';
import { S_IFDIR } from '../fuse/abi.js';
import type { FileNode, Stat } from '../tree/node.js';

export const KIND_DIR_MODE = 0o1777;
export const CLONE_FILE = '.new';

/** An object file as its directory sees it: who owns it, how its status names it, what rm does. */
export interface KindObjectFile extends FileNode {
  readonly obj: {
    readonly perm: IpcPerm;
    /** the status's first line: ['semid', '98765432'], ['name', '/app/q'] */
    readonly label: readonly [string, string];
    /** rm / IPC_RMID: what removing means for the kind (unlink a name, destroy, mark) */
    remove(): void;
  };
}

export function dirStat(perm: { uid: number; gid: number; mode: number }, time: number, subdirs: number): Stat {
  return { mode: S_IFDIR | perm.mode, uid: perm.uid, gid: perm.gid, size: 0, nlink: 2 + subdirs, atimeMs: time, mtimeMs: time, ctimeMs: time };
}

/** `rm .new`: the clone file is part of the directory, like the directory itself. */
export function refuseCloneFile(name: string): void {
  if (name === CLONE_FILE) fail(Errno.EPERM, `${CLONE_FILE} cannot be removed`);
}

/** A POSIX name component: not empty, no NUL, not "." or "..", not the clone file's name. */
export function checkName(name: string): void {
  if (!name || name === '.' || name === '..' || name === CLONE_FILE || name.includes('\0')) fail(Errno.EINVAL, `"${name}" is not a usable name`);
  if (Buffer.byteLength(name) > 255) fail(Errno.ENAMETOOLONG);
}
