/**
 * Directory streams (fs/tables/dir-streams.ts, through fs/operations.ts) against the real System V
 * directory, no mount: a listing in many READDIRs costs one pass over the entries, a seek restarts
 * and skips, and while sets come and go every set present for the whole listing is listed exactly
 * once.
 */
import test from 'ava';
import fc from 'fast-check';
import type { FuseRequest } from '../../fs/fuse/ops.js';
import { IpcfsOperations } from '../../fs/operations.js';
import { semaphoreDirs, type SysvDir } from '../../fs/semaphores/dirs.js';
import { StaticDir } from '../../fs/tree/static-dir.js';
import type { FsNode } from '../../fs/tree/node.js';
import { IPC_PRIVATE, SysvRegistry, type SysvSemaphore } from '../../ipc/semaphores/registry.js';
import { silentLog } from '../helpers/synthetic-kernel.js';

const ROOT_DIR = 1;

function setup() {
  const registry = new SysvRegistry();
  const sysv = semaphoreDirs(registry).sysv;
  let steps = 0;
  let starts = 0;
  // counts what the stream pulls from the directory: the cost of a listing
  const counted = Object.assign(Object.create(sysv) as SysvDir, {
    entries: function* (): Generator<[string, FsNode]> {
      starts++;
      for (const e of sysv.entries()) {
        steps++;
        yield e;
      }
    },
  });
  const ops = new IpcfsOperations(new StaticDir().add('x', counted), silentLog);
  const req = <A>(nodeid: number, args: A): FuseRequest<A> => ({
    unique: 1, nodeid, opcode: 0, args, caller: { uid: 0, gid: 0, pid: 1, tgid: 1, groups: [] }, signal: new AbortController().signal, log: silentLog,
  });
  const sets: SysvSemaphore[] = [];
  const add = (n: number) => {
    for (let i = 0; i < n; i++) sets.push(registry.semget(IPC_PRIVATE, 1, 0o600, { uid: 0, gid: 0, pid: 1 }));
  };
  const nodeid = ops.lookup(req(ROOT_DIR, { name: 'x' })).nodeid;
  const open = () => ops.opendir(req(nodeid, { flags: 0, openFlags: 0 })).fh;
  /** One READDIR: [name, off] pairs. */
  const readdir = (fh: number, offset: number, size: number): [string, number][] => {
    const buf = ops.readdir(req(nodeid, { fh, offset, size, readFlags: 0, lockOwner: 0n, flags: 0 }));
    const out: [string, number][] = [];
    for (let p = 0; p < buf.length; ) {
      const off = Number(buf.readBigUInt64LE(p + 8));
      const len = buf.readUInt32LE(p + 16);
      out.push([buf.toString('utf8', p + 24, p + 24 + len), off]);
      p += (24 + len + 7) & ~7;
    }
    return out;
  };
  /** Reads on as the kernel does: from the off of the last entry received, until an empty reply. */
  const rest = (fh: number, from: number, size: number, between: () => void = () => {}): string[] => {
    const names: string[] = [];
    for (let off = from; ; ) {
      const got = readdir(fh, off, size);
      if (!got.length) return names;
      for (const [name, o] of got) names.push(name), (off = o);
      between();
    }
  };
  return { ops, registry, sets, add, open, readdir, rest, req, stats: () => ({ steps, starts }) };
}

test('a listing in many small READDIRs pulls each entry once from one iterator (linear), offsets consecutive', (t) => {
  const s = setup();
  s.add(3000);
  const fh = s.open();
  const got = s.readdir(fh, 0, 200);
  t.deepEqual(got.slice(0, 3).map((g) => g[0]), ['.', '..', 'by-key']);
  t.deepEqual(got.map((g) => g[1]), got.map((_, i) => i + 1), 'off of each = the offset of the next');
  const names = [...got.map((g) => g[0]), ...s.rest(fh, got[got.length - 1]![1], 200)];
  t.is(names.length, 3003);
  t.is(new Set(names).size, 3003);
  t.is(s.stats().starts, 1, 'no restart');
  t.true(s.stats().steps <= 3001 + 1, `${s.stats().steps} steps for 3001 entries`);
});

test('a READDIR at another offset (seekdir, or a caller buffer smaller than ours) restarts and goes on from there', (t) => {
  const s = setup();
  s.add(100);
  const fh = s.open();
  const all = s.rest(fh, 0, 4096);
  const back = s.readdir(fh, 50, 4096).map((g) => g[0]);
  t.deepEqual(back, all.slice(50));
  t.deepEqual(s.readdir(fh, 2, 96).map((g) => g[0]), all.slice(2, 5), 'three 32-byte records');
  t.deepEqual(s.readdir(fh, 5, 64).map((g) => g[0]), all.slice(5, 7), 'continued where the last reply ended');
  t.deepEqual(s.readdir(fh, 10_000, 4096), [], 'past the end: empty');
  t.deepEqual(s.readdir(fh, 0, 4096).map((g) => g[0]), all, 'rewinddir');
});

test('property: while sets come and go, every set present for the whole listing is listed exactly once, and no name twice', (t) => {
  const action = fc.oneof(fc.record({ add: fc.integer({ min: 1, max: 30 }) }), fc.record({ remove: fc.nat(), count: fc.integer({ min: 1, max: 30 }) }));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 300 }), fc.array(action, { maxLength: 40 }), fc.integer({ min: 64, max: 1024 }), (initial, actions, size) => {
      const s = setup();
      s.add(initial);
      const present = new Set(s.sets);
      const removed = new Set<SysvSemaphore>();
      const fh = s.open();
      let i = 0;
      const names = s.rest(fh, 0, size, () => {
        const a = actions[i++];
        if (!a) return;
        if ('add' in a) s.add(a.add);
        else {
          const live = s.sets.filter((x) => !removed.has(x));
          for (let k = 0; k < a.count && live.length; k++) {
            const [x] = live.splice((a.remove + k) % live.length, 1);
            s.registry.remove(x!);
            removed.add(x!);
          }
        }
      });
      if (new Set(names).size !== names.length) return false;
      for (const x of present) {
        if (!removed.has(x) && names.filter((n) => n === String(x.id)).length !== 1) return false;
      }
      return true;
    }),
  );
  t.pass();
});

test('RELEASEDIR gives the directory stream back; an unknown fh is EBADF for READDIR', (t) => {
  const s = setup();
  const fh = s.open();
  t.is(s.ops.openDirs, 1);
  t.is(s.ops.quota.used('dirStreams'), 1);
  s.ops.releasedir(s.req(ROOT_DIR, { fh, flags: 0, releaseFlags: 0, lockOwner: 0n }));
  s.ops.releasedir(s.req(ROOT_DIR, { fh, flags: 0, releaseFlags: 0, lockOwner: 0n }));
  t.is(s.ops.quota.used('dirStreams'), 0, 'given back once');
  t.throws(() => s.readdir(fh, 0, 4096), { message: /EBADF/ });
});

test('the end of the session gives back every open directory stream', (t) => {
  const s = setup();
  s.open();
  s.open();
  t.is(s.ops.quota.used('dirStreams'), 2);
  s.ops.destroy();
  t.is(s.ops.quota.used('dirStreams'), 0);
  t.is(s.ops.openDirs, 0);
});
