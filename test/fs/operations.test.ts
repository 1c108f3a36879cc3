/**
 * The tree behind a session, over the synthetic kernel: node ids, directory listings, open flags,
 * errnos for what the tree refuses. No mount.
 */
import test from 'ava';
import { OpenOutFlag, Opcode } from '../../fs/fuse/abi.js';
import { Errno } from '../../fs/fuse/errno.js';
import { buildTree } from '../../fs/layout.js';
import { IpcfsOperations } from '../../fs/operations.js';
import { body } from '../helpers/kernel-requests.js';
import { silentLog, startSession } from '../helpers/synthetic-kernel.js';

async function mounted() {
  const ops = new IpcfsOperations(buildTree({ testFiles: true }), silentLog);
  const { kernel, session } = await startSession(ops);
  const lookup = async (parent: number, name: string) => {
    const r = await kernel.call(Opcode.LOOKUP, parent, body.name(name));
    if (r.error) return { error: r.error, nodeid: 0, ino: 0, entryValidSec: 0, mode: 0 };
    return {
      error: 0,
      nodeid: Number(r.body.readBigUInt64LE(0)),
      entryValidSec: Number(r.body.readBigUInt64LE(16)),
      ino: Number(r.body.readBigUInt64LE(40)),
      mode: r.body.readUInt32LE(40 + 60),
    };
  };
  return { ops, kernel, session, lookup };
}

test('directories keep their node id; files get a fresh one per LOOKUP with the same st_ino', async (t) => {
  const { lookup } = await mounted();
  const a = await lookup(1, 'semaphores');
  const b = await lookup(1, 'semaphores');
  t.is(a.nodeid, b.nodeid);
  t.true(a.entryValidSec > 0, 'directory names are cached');
  const test1 = await lookup(1, '.ipcfs-test');
  const f1 = await lookup(test1.nodeid, 'block');
  const f2 = await lookup(test1.nodeid, 'block');
  t.not(f1.nodeid, f2.nodeid, 'each lookup of a file is its own kernel inode');
  t.is(f1.ino, f2.ino, 'stat shows one inode number');
  t.is(f1.entryValidSec, 0, 'file names are looked up again on every path walk');
});

test('FORGET releases node ids: the table does not grow with lookups of files', async (t) => {
  const { ops, kernel, lookup } = await mounted();
  const dir = await lookup(1, '.ipcfs-test');
  const before = ops.knownNodes;
  const ids: number[] = [];
  for (let i = 0; i < 50; i++) ids.push((await lookup(dir.nodeid, 'block')).nodeid);
  t.is(ops.knownNodes, before + 50);
  kernel.send(Opcode.BATCH_FORGET, 0, body.batchForget(ids.map((id) => [id, 1])));
  t.is(ops.knownNodes, before);
  t.is((await kernel.call(Opcode.GETATTR, ids[0]!, body.getattr())).error, -Errno.ESTALE);
});

test('READDIR lists ., .. and the entries, resuming at the offset the kernel gives back', async (t) => {
  const { kernel, lookup } = await mounted();
  const sem = await lookup(1, 'semaphores');
  const open = await kernel.call(Opcode.OPENDIR, sem.nodeid, body.open(0));
  const fh = Number(open.body.readBigUInt64LE(0));
  const names = (buf: Buffer): { name: string; off: number }[] => {
    const out = [];
    for (let at = 0; at < buf.length; ) {
      const namelen = buf.readUInt32LE(at + 16);
      out.push({ off: Number(buf.readBigUInt64LE(at + 8)), name: buf.toString('utf8', at + 24, at + 24 + namelen) });
      at += (24 + namelen + 7) & ~7;
    }
    return out;
  };
  const all = names((await kernel.call(Opcode.READDIR, sem.nodeid, body.read(fh, 0, 4096))).body);
  t.deepEqual(all.map((e) => e.name), ['.', '..', 'named', 'unnamed', 'sysv']);
  const rest = names((await kernel.call(Opcode.READDIR, sem.nodeid, body.read(fh, all[2]!.off, 4096))).body);
  t.deepEqual(rest.map((e) => e.name), ['unnamed', 'sysv']);
  const small = names((await kernel.call(Opcode.READDIR, sem.nodeid, body.read(fh, 0, 64))).body);
  t.deepEqual(small.map((e) => e.name), ['.', '..'], 'only whole entries that fit');
  t.is((await kernel.call(Opcode.RELEASEDIR, sem.nodeid, body.release(fh))).error, 0);
});

test('OPEN answers the per-file FOPEN flags; the blocking test file opens as semaphore files do (a direct-io stream with parallel writes, no FLUSH on close)', async (t) => {
  const { kernel, lookup } = await mounted();
  const dir = await lookup(1, '.ipcfs-test');
  const f = await lookup(dir.nodeid, 'block');
  const r = await kernel.call(Opcode.OPEN, f.nodeid, body.open(1));
  t.is(r.error, 0);
  t.is(r.body.readUInt32LE(8), OpenOutFlag.DIRECT_IO | OpenOutFlag.NONSEEKABLE | OpenOutFlag.STREAM | OpenOutFlag.PARALLEL_DIRECT_WRITES | OpenOutFlag.NOFLUSH);
  const fh = Number(r.body.readBigUInt64LE(0));
  const w = await kernel.call(Opcode.WRITE, f.nodeid, body.write(fh, Buffer.from('ping')));
  t.is(w.body.readUInt32LE(0), 4);
  const rd = await kernel.call(Opcode.READ, f.nodeid, body.read(fh, 0, 4096));
  t.regex(rd.body.toString(), /^blocked: 0\n/);
  t.is((await kernel.call(Opcode.RELEASE, f.nodeid, body.release(fh))).error, 0);
  t.is((await kernel.call(Opcode.READ, f.nodeid, body.read(fh, 0, 10))).error, -Errno.EBADF, 'a released handle is gone');
});

test('what the fixed tree refuses: create, mkdir, unlink, rename, open of a directory', async (t) => {
  const { kernel, lookup } = await mounted();
  const sem = await lookup(1, 'semaphores');
  t.is((await kernel.call(Opcode.CREATE, sem.nodeid, body.create('x', 0o100644, 0o101))).error, -Errno.EPERM);
  t.is((await kernel.call(Opcode.CREATE, sem.nodeid, body.create('named', 0o100644, 0o101))).error, -Errno.EEXIST);
  t.is((await kernel.call(Opcode.UNLINK, sem.nodeid, body.name('named'))).error, -Errno.EISDIR);
  t.is((await kernel.call(Opcode.RMDIR, sem.nodeid, body.name('named'))).error, -Errno.EPERM);
  t.is((await kernel.call(Opcode.RMDIR, sem.nodeid, body.name('nope'))).error, -Errno.ENOENT);
  t.is((await kernel.call(Opcode.RENAME, sem.nodeid, body.rename(sem.nodeid, 'named', 'x'))).error, -Errno.EPERM);
  t.is((await kernel.call(Opcode.OPEN, sem.nodeid, body.open(0))).error, -Errno.EISDIR);
  t.is((await kernel.call(Opcode.LOOKUP, 999999, body.name('x'))).error, -Errno.ESTALE);
});

test('POLL on a file without readiness of its own is always ready; a scheduled poll can be woken', async (t) => {
  const { kernel, lookup } = await mounted();
  const dir = await lookup(1, '.ipcfs-test');
  const f = await lookup(dir.nodeid, 'block');
  const fh = Number((await kernel.call(Opcode.OPEN, f.nodeid, body.open(2))).body.readBigUInt64LE(0));
  const r = await kernel.call(Opcode.POLL, f.nodeid, body.poll(fh, 5, 1, 0x1 | 0x4));
  t.is(r.body.readUInt32LE(0), 0x5);
});
