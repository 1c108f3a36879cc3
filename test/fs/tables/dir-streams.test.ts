/**
 * The directory-stream table (fs/tables/dir-streams.ts), no mount: READDIR offsets ("." 1, ".." 2,
 * the k-th entry k + 2), paging in whole records, resuming where the last reply ended, a seek to
 * any other offset, entries added and removed during a listing, and the stream's charge given back
 * once. The end-to-end cost and churn properties are in test/fs/readdir.test.ts.
 */
import test from 'ava';
import { DirStreams } from '../../../fs/tables/dir-streams.js';
import { StaticDir } from '../../../fs/tree/static-dir.js';
import type { DirNode, FsNode } from '../../../fs/tree/node.js';
import type { ErrnoError } from '../../../ipc/errno.js';
import { DEFAULT_LIMITS, quotaFor } from '../../../ipc/limits.js';
import { silentLog } from '../../helpers/synthetic-kernel.js';

/** A directory whose entries come and go (a live Map iterator, as DirNode asks). */
function mutableDir(names: string[]): DirNode & { remove(name: string): void; put(name: string): void } {
  const children = new Map<string, FsNode>(names.map((n) => [n, new StaticDir()]));
  const base = new StaticDir();
  return Object.assign(base, {
    lookup: (name: string) => children.get(name),
    entries: () => children.entries(),
    remove: (name: string) => void children.delete(name),
    put: (name: string) => void children.set(name, new StaticDir()),
  });
}

function setup(names: string[]) {
  const quota = quotaFor(DEFAULT_LIMITS);
  let next = 1;
  const streams = new DirStreams(() => next++);
  const dir = mutableDir(names);
  const fh = streams.open(dir, quota.charge(1000, { dirStreams: 1 }, 'opendir'));
  /** One READDIR of size bytes from offset: [name, off] of each record. */
  const read = (offset: number, size = 4096): [string, number][] => {
    const buf = streams.read(fh, offset, size, silentLog);
    const out: [string, number][] = [];
    for (let p = 0; p < buf.length; p += (24 + buf.readUInt32LE(p + 16) + 7) & ~7) {
      out.push([buf.toString('utf8', p + 24, p + 24 + buf.readUInt32LE(p + 16)), Number(buf.readBigUInt64LE(p + 8))]);
    }
    return out;
  };
  return { quota, streams, dir, fh, read };
}

test('offsets: "." 1, ".." 2, the k-th entry k + 2; an empty reply at the end', (t) => {
  const { read } = setup(['a', 'b', 'c']);
  t.deepEqual(read(0), [['.', 1], ['..', 2], ['a', 3], ['b', 4], ['c', 5]]);
  t.deepEqual(read(5), []);
});

test('a small buffer pages in whole records, and each page resumes at the last cookie', (t) => {
  const { read } = setup(['a', 'b', 'c', 'd']);
  const page = 2 * 32; // two records of a short name (24-byte header + name, padded to 8)
  t.deepEqual(read(0, page), [['.', 1], ['..', 2]]);
  t.deepEqual(read(2, page), [['a', 3], ['b', 4]]);
  t.deepEqual(read(4, page), [['c', 5], ['d', 6]]);
  t.deepEqual(read(6, page), []);
  t.deepEqual(read(0, 10), [], 'a buffer too small for one record gets nothing');
});

test('a seek (any offset but where the stream stands) restarts and skips; a rewind lists all again', (t) => {
  const { read } = setup(['a', 'b', 'c', 'd']);
  t.deepEqual(read(0, 3 * 32), [['.', 1], ['..', 2], ['a', 3]]);
  t.deepEqual(read(5), [['d', 6]], 'forward past b and c');
  t.deepEqual(read(3), [['b', 4], ['c', 5], ['d', 6]], 'backward');
  t.deepEqual(read(1), [['..', 2], ['a', 3], ['b', 4], ['c', 5], ['d', 6]]);
  t.deepEqual(read(0).map(([n]) => n), ['.', '..', 'a', 'b', 'c', 'd']);
  t.deepEqual(read(99), [], 'past the end');
});

test('during a listing: an entry added is listed, one removed before its turn is not, others once each', (t) => {
  const { dir, read } = setup(['a', 'b', 'c']);
  t.deepEqual(read(0, 3 * 32), [['.', 1], ['..', 2], ['a', 3]]);
  dir.remove('b');
  dir.put('z');
  t.deepEqual(read(3), [['c', 4], ['z', 5]]);
});

test('an entry taken but not sent (the reply was full) and removed before the next READDIR is not listed', (t) => {
  const { dir, read } = setup(['a', 'b', 'c']);
  t.deepEqual(read(0, 3 * 32), [['.', 1], ['..', 2], ['a', 3]], 'b was taken from the iterator and did not fit');
  dir.remove('b');
  t.deepEqual(read(3), [['c', 4]]);
});

test('release gives the charge back once; the fh is then unknown (EBADF); releaseAll ends every stream', (t) => {
  const { quota, streams, fh } = setup(['a']);
  t.is(quota.used('dirStreams'), 1);
  streams.release(fh);
  streams.release(fh);
  t.is(quota.used('dirStreams'), 0, 'given back once');
  t.is((t.throws(() => streams.read(fh, 0, 4096, silentLog)) as ErrnoError).code, 'EBADF');
  const dir = new StaticDir();
  for (let i = 0; i < 3; i++) streams.open(dir, quota.charge(1000, { dirStreams: 1 }, 'opendir'));
  t.is(streams.size, 3);
  streams.releaseAll();
  t.is(streams.size, 0);
  t.is(quota.used('dirStreams'), 0);
});
