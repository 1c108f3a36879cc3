/**
 * The node-id table (fs/tables/node-ids.ts), no mount: directories keep one node id while the
 * kernel remembers them, files get a fresh one per LOOKUP, FORGET frees an id once its lookups are
 * all forgotten, and a node may declare its own rule.
 */
import test from 'ava';
import { FUSE_ROOT_ID } from '../../../fs/fuse/abi.js';
import type { ErrnoError } from '../../../ipc/errno.js';
import { NodeIds, nodeIdsOf } from '../../../fs/tables/node-ids.js';
import { StaticDir } from '../../../fs/tree/static-dir.js';
import { allocIno, type FileNode, type FsNode, type NodeIdRule, type SymlinkNode } from '../../../fs/tree/node.js';

const stat = () => ({ mode: 0o100600, uid: 0, gid: 0, size: 0, nlink: 1, atimeMs: 0, mtimeMs: 0, ctimeMs: 0 });

function file(nodeIds?: NodeIdRule): FileNode {
  const f: FileNode = { kind: 'file', ino: allocIno(), stat, open: () => { throw new Error('not opened here'); } };
  return nodeIds ? { ...f, nodeIds } : f;
}

test('the root is FUSE_ROOT_ID, counted once, and FORGET never removes it', (t) => {
  const root = new StaticDir();
  const ids = new NodeIds(root);
  t.is(ids.node(FUSE_ROOT_ID), root);
  t.is(ids.size, 1);
  t.is(ids.remember(root), FUSE_ROOT_ID, 'a lookup of the root names it by its own id');
  ids.forget(FUSE_ROOT_ID, 100);
  t.is(ids.node(FUSE_ROOT_ID), root);
});

test('a directory keeps its node id across lookups until every lookup is forgotten; ids are never reused', (t) => {
  const ids = new NodeIds(new StaticDir());
  const dir = new StaticDir();
  const a = ids.remember(dir);
  t.is(ids.remember(dir), a);
  t.is(ids.remember(dir), a);
  t.is(ids.size, 2);
  ids.forget(a, 2);
  t.is(ids.node(a), dir, 'one lookup is still held');
  ids.forget(a, 1);
  t.is((t.throws(() => ids.node(a)) as ErrnoError).code, 'ESTALE');
  t.is(ids.size, 1);
  const b = ids.remember(dir);
  t.not(b, a, 'a new id after the old one was forgotten');
  t.is(ids.remember(dir), b);
});

test('a file gets a fresh node id per lookup, all naming the same node; each FORGET frees its own', (t) => {
  const ids = new NodeIds(new StaticDir());
  const f = file();
  const got = [ids.remember(f), ids.remember(f), ids.remember(f)];
  t.is(new Set(got).size, 3);
  for (const id of got) t.is(ids.node(id), f);
  t.is(ids.size, 4);
  ids.forget(got[1]!, 1);
  t.is((t.throws(() => ids.node(got[1]!)) as ErrnoError).code, 'ESTALE');
  t.is(ids.node(got[0]!), f, 'the other lookups keep theirs');
  ids.forget(got[0]!, 1);
  ids.forget(got[2]!, 1);
  t.is(ids.size, 1, 'the table does not grow with lookups that were forgotten');
});

test('FORGET of an unknown id does nothing; an unknown id is ESTALE', (t) => {
  const ids = new NodeIds(new StaticDir());
  ids.forget(12345, 1);
  t.is(ids.size, 1);
  t.is((t.throws(() => ids.node(12345)) as ErrnoError).code, 'ESTALE');
});

test('the rule by kind: directories stable, files and symlinks per lookup; a node may declare either', (t) => {
  const link: SymlinkNode = { kind: 'symlink', ino: allocIno(), target: 'x', stat };
  t.is(nodeIdsOf(new StaticDir()), 'stable');
  t.is(nodeIdsOf(file()), 'per-lookup');
  t.is(nodeIdsOf(link), 'per-lookup');

  const ids = new NodeIds(new StaticDir());
  const shared = file('stable');
  const a = ids.remember(shared);
  t.is(ids.remember(shared), a, 'a file that declares stable keeps one id (one kernel inode)');
  ids.forget(a, 1);
  t.is(ids.node(a), shared);
  ids.forget(a, 1);
  t.is((t.throws(() => ids.node(a)) as ErrnoError).code, 'ESTALE');

  const freshDir: FsNode = Object.assign(new StaticDir(), { nodeIds: 'per-lookup' as const });
  t.not(ids.remember(freshDir), ids.remember(freshDir), 'a directory that declares per-lookup gets a fresh id each time');
});
