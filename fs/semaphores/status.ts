/** The status text of a semaphore file (docs/protocol.md). The proposal's lines come first. */
import type { IpcPerm } from '../../ipc/semaphores/perms.js';
import type { SemSet } from '../../ipc/semaphores/sem-set.js';

const time = (ms: number): string => (ms ? new Date(ms).toISOString() : 'never');
const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(3, '0');
export const hexKey = (key: number): string => `0x${(key >>> 0).toString(16).padStart(8, '0')}`;

export function semStatus(first: [string, string], set: SemSet, perm: IpcPerm, key?: number): string {
  const lines: string[] = [
    `${first[0]}: ${first[1]}`,
    `owner: ${perm.uid}`,
    `perms: ${octal(perm.mode)}`,
    `nsems: ${set.nsems}`,
    `value: ${set.values.join(' ')}`,
  ];
  if (key !== undefined) lines.push(`key: ${hexKey(key)}`);
  let ncnt = 0;
  let zcnt = 0;
  for (let n = 0; n < set.nsems; n++) {
    ncnt += set.ncnt(n);
    zcnt += set.zcnt(n);
  }
  lines.push(
    `group: ${perm.gid}`,
    `cuid: ${perm.cuid}`,
    `cgid: ${perm.cgid}`,
    `ncnt: ${ncnt}`,
    `zcnt: ${zcnt}`,
    `pid: ${set.pids.join(' ')}`,
    `otime: ${time(set.otime)}`,
    `ctime: ${time(set.ctime)}`,
  );
  if (set.nsems > 1) {
    for (let n = 0; n < set.nsems; n++) {
      lines.push(`sem ${n}: value=${set.values[n]} ncnt=${set.ncnt(n)} zcnt=${set.zcnt(n)} pid=${set.pids[n]}`);
    }
  }
  for (const h of set.undoHolders()) {
    for (const [num, adj] of h.entries(set)) lines.push(`undo: pid=${h.pid} comm=${h.comm} sem=${num} adj=${adj}`);
  }
  if (set.removed) lines.push('removed: yes');
  return `${lines.join('\n')}\n`;
}
