/** generic_permission and may_delete as the daemon applies them (fs/tree/access.ts). */
import test from 'ava';
import { ErrnoError } from '../../../ipc/errno.js';
import { MAY_EXEC, MAY_READ, MAY_WRITE, checkDelete, modePermits } from '../../../fs/tree/access.js';
import type { FsNode } from '../../../fs/tree/node.js';

const DIR = 0o040000;
const REG = 0o100000;
const stat = (mode: number, uid: number, gid: number) => ({ mode, uid, gid });

test('owner class, else group (primary or supplementary), else other', (t) => {
  const s = stat(REG | 0o640, 10, 20);
  t.true(modePermits(s, { uid: 10, gid: 99 }, MAY_READ | MAY_WRITE));
  t.false(modePermits(s, { uid: 10, gid: 20 }, MAY_EXEC));
  t.true(modePermits(s, { uid: 11, gid: 20 }, MAY_READ));
  t.false(modePermits(s, { uid: 11, gid: 20 }, MAY_WRITE));
  t.true(modePermits(s, { uid: 11, gid: 5, groups: [3, 20] }, MAY_READ), 'a supplementary group');
  t.false(modePermits(s, { uid: 11, gid: 5, groups: [3] }, MAY_READ));
  t.false(modePermits(stat(REG | 0o077, 10, 20), { uid: 10, gid: 20 }, MAY_READ), 'the owner class applies even when it grants less');
  t.true(modePermits(s, { uid: 11, gid: 5 }, 0), 'F_OK');
});

test('supplementary groups unknown (null): only what both the group and the others grant', (t) => {
  const s = stat(REG | 0o606, 10, 20);
  t.false(modePermits(s, { uid: 11, gid: 5, groups: null }, MAY_READ), 'the group class denies: the caller may be in it');
  t.true(modePermits(s, { uid: 11, gid: 5, groups: [] }, MAY_READ), 'known to be in no group');
  t.true(modePermits(stat(REG | 0o644, 10, 20), { uid: 11, gid: 5, groups: null }, MAY_READ), 'both grant read');
  t.true(modePermits(stat(REG | 0o060, 10, 20), { uid: 11, gid: 20, groups: null }, MAY_READ), 'the primary gid decides alone');
});

test('root passes, except executing a file without any execute bit', (t) => {
  const root = { uid: 0, gid: 0 };
  t.true(modePermits(stat(REG | 0o000, 1, 1), root, MAY_READ | MAY_WRITE));
  t.false(modePermits(stat(REG | 0o600, 1, 1), root, MAY_EXEC));
  t.true(modePermits(stat(REG | 0o001, 1, 1), root, MAY_EXEC));
  t.true(modePermits(stat(DIR | 0o000, 1, 1), root, MAY_EXEC | MAY_WRITE));
});

function node(mode: number, uid: number): FsNode {
  return { kind: 'symlink', ino: 1, target: '', stat: () => ({ mode, uid, gid: 0, size: 0, nlink: 1, atimeMs: 0, mtimeMs: 0, ctimeMs: 0 }) };
}

test('delete: write and search on the directory (EACCES), then the sticky bit (EPERM)', (t) => {
  const sticky = node(DIR | 0o1777, 0);
  const mine = node(REG | 0o600, 7);
  const theirs = node(REG | 0o600, 8);
  t.notThrows(() => checkDelete(sticky, mine, { uid: 7, gid: 7 }));
  t.is((t.throws(() => checkDelete(sticky, theirs, { uid: 7, gid: 7 })) as ErrnoError).code, 'EPERM');
  t.notThrows(() => checkDelete(node(DIR | 0o1777, 7), theirs, { uid: 7, gid: 7 }), 'the directory\'s owner');
  t.notThrows(() => checkDelete(sticky, theirs, { uid: 0, gid: 0 }), 'root');
  t.notThrows(() => checkDelete(node(DIR | 0o777, 0), theirs, { uid: 7, gid: 7 }), 'not sticky');
  t.is((t.throws(() => checkDelete(node(DIR | 0o755, 0), mine, { uid: 7, gid: 7 })) as ErrnoError).code, 'EACCES');
  t.notThrows(() => checkDelete(node(DIR | 0o1733, 0), mine, { uid: 7, gid: 7 }), 'write and search suffice; read is not needed');
});
