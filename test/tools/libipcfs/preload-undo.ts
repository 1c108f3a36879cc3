/**
 * What the interposer's undo tests share: a System V set made on the mount with a value, its
 * status, and preload-undo.c run under `ipcfs exec`.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { builtOnce } from '../../helpers/c-helper.js';
import { CLI, sh, type ShellChild } from '../../helpers/mount.js';

export const undoProgram = (): string => builtOnce('test/tools/libipcfs/preload-undo.c');

let serial = 0;

/** A new set of one semaphore with value 1 on the mount: its key (hex) and semid. */
export function setWithOneUnit(mount: string): { key: string; id: string; path: string } {
  const key = `0x${(0x7000000 + ((process.pid & 0xfff) << 8) + ++serial).toString(16).padStart(8, '0')}`;
  const ctl = openSync(join(mount, 'semaphores', 'sysv', '.new'), 'r+');
  writeSync(ctl, `semget ${key} 1 creat excl mode=0600`);
  const id = readFileSync(ctl, 'utf8').trim();
  closeSync(ctl);
  const path = join(mount, 'semaphores', 'sysv', id);
  const fd = openSync(path, 'r+');
  writeSync(fd, 'set 1');
  closeSync(fd);
  return { key, id, path };
}

/** The set's value and its undo lines. */
export function semStatus(path: string): { value: string; undo: string[] } {
  const text = readFileSync(path, 'utf8');
  return { value: /^value: (.*)$/m.exec(text)?.[1] ?? '?', undo: text.split('\n').filter((l) => l.startsWith('undo: ')) };
}

/** `ipcfs exec --mount MOUNT -- preload-undo ARGS...` as a child of ours, with its directory first in PATH (execvp's search). */
export const underIpcfsExec = (mount: string, args: string[]): ShellChild =>
  sh(`PATH="${dirname(undoProgram())}:$PATH" exec "${process.execPath}" "${CLI}" exec --mount "${mount}" -- "${undoProgram()}" ${args.join(' ')}`);
