/**
 * shared-memory/named on a real mount: POSIX shared memory whose file is its memory. Each scenario
 * runs step for step on the mount and on /dev/shm (the kernel's own, the oracle): two processes
 * sharing a MAP_SHARED mapping (a store seen at once, no msync), pread/pwrite at offsets,
 * ftruncate growing with zeros and shrinking, shm_unlink while mapped. Then `.new`, the page
 * limits, the status beside the object, and the page-cache path as an unprivileged mount.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Mapper } from '../../helpers/mapper.js';
import { probe, probeOne, NOBODY } from '../../helpers/errno-probe.js';
import { eventually, mountTest, withDaemon, type Daemon } from '../../helpers/mount.js';
import { answer, runBoth, truncateGrows, twoProcesses, unlinkWhileMapped, withNobodyMount } from '../../helpers/shm-scenarios.js';

const test = mountTest();

const named = (d: Daemon): string => join(d.dir, 'shared-memory', 'named');
/** The status of named/<name>, as fields (shared-memory/status/named/<name>). */
function status(d: Daemon, name: string): Record<string, string> {
  const text = readFileSync(join(d.dir, 'shared-memory', 'status', 'named', name), 'utf8');
  return Object.fromEntries(text.trim().split('\n').map((l) => l.split(': ') as [string, string]));
}
/** The daemon's memfds of the object /name. */
const memfds = (d: Daemon, name: string): number => readdirSync(`/proc/${d.child.pid}/fd`).filter((fd) => {
  try {
    return readlinkSync(`/proc/${d.child.pid}/fd/${fd}`).includes(`ipcfs-shm:/${name}`);
  } catch {
    return false;
  }
}).length;
const clone = (d: Daemon, cmd: string, prefix: string[] = []): unknown => probeOne(`clone(${JSON.stringify(join(named(d), '.new'))}, ${JSON.stringify(cmd)})`, prefix);

test('two processes share a mapping: a store is seen at once by the other\'s mapping and read(2), as on /dev/shm', async (t) => {
  await withDaemon(async (d) => {
    const got = await runBoth(t, named(d), twoProcesses);
    t.is(got[2], 'cafe');
    t.like(status(d, 'seg'), { name: '/seg', size: '8192', served: 'passthrough' }, 'root\'s daemon serves by passthrough');
  });
});

test('ftruncate grows with zeros and shrinks; pread/pwrite at offsets; short reads at the end, as on /dev/shm', async (t) => {
  await withDaemon(async (d) => {
    await runBoth(t, named(d), truncateGrows, 1);
    t.is(statSync(join(named(d), 'grow')).size, 100000);
    t.is(status(d, 'grow').size, '100000');
  });
});

test('shm_unlink (rm) while mapped: the mapping and open descriptors keep working, the name is gone; the memory goes with the last user', async (t) => {
  await withDaemon(async (d) => {
    await runBoth(t, named(d), async (dir, m) => {
      const out = await unlinkWhileMapped(dir, m);
      t.deepEqual(out.slice(0, 5), ['ok', { err: 'ENOENT' }, 'ok', 'aabb', 'aabb']);
      if (dir === named(d)) {
        t.false(existsSync(join(dir, 'gone')), 'the name is gone');
        t.false(existsSync(join(d.dir, 'shared-memory', 'status', 'named', 'gone')), 'and its status');
        t.is(memfds(d, 'gone'), 1, 'the unlinked object keeps its memory while mapped');
      }
      return out;
    }, 3);
    // runBoth ended the mappers: RELEASE follows munmap and exit
    t.true(await eventually(() => memfds(d, 'gone') === 0, 2000), 'freed when the last mapping went');
  });
});

test('.new: create NAME size=N makes an object of N zero bytes at once; excl, mode, subdirectories; bad sizes are EINVAL', async (t) => {
  await withDaemon(async (d) => {
    t.is(clone(d, 'create /app/buf size=10000 mode=0640'), '/app/buf');
    const f = join(named(d), 'app', 'buf');
    const st = statSync(f);
    t.is(st.size, 10000);
    t.is(st.mode & 0o777, 0o640);
    t.true(readFileSync(f).equals(Buffer.alloc(10000)), 'zeros');
    t.is(clone(d, 'create app/buf size=5'), '/app/buf', 'an existing object is opened, not resized (shm_open without O_EXCL)');
    t.is(statSync(f).size, 10000);
    t.is(clone(d, 'create app/buf excl'), 'EEXIST');
    t.is(clone(d, 'create x size=-1'), 'EINVAL');
    t.is(clone(d, 'create x size=1k'), 'EINVAL');
    t.is(clone(d, 'create x size=1 size=2'), 'EINVAL');
    t.false(existsSync(join(named(d), 'x')), 'a refused create makes nothing');
    t.like(status(d, 'app/buf'), { name: '/app/buf', size: '10000', perms: '640', owner: '0', opens: '0' });
  });
});

test('pages are charged to the creator: ftruncate or size= past uid-shm-pages is ENOSPC and changes nothing; root is exempt', async (t) => {
  await withDaemon(async (d) => {
    const g = (p: string) => JSON.stringify(join(named(d), p));
    t.deepEqual(probe([
      `os.close(os.open(p(${g('mine')}), os.O_RDWR | os.O_CREAT, 0o600))`,
      `os.truncate(p(${g('mine')}), 8192)`,
      `os.truncate(p(${g('mine')}), 8193)`,
      `str(os.stat(p(${g('mine')})).st_size)`,
      `clone(${g('.new')}, 'create big size=12288')`,
      `os.truncate(p(${g('mine')}), 1)`,
      `clone(${g('.new')}, 'create small size=4096')`,
    ], NOBODY), ['ok', 'ok', 'ENOSPC', '8192', 'ENOSPC', 'ok', '/small']);
    t.false(existsSync(join(named(d), 'big')));
    t.is(clone(d, 'create rootbig size=1000000'), '/rootbig', 'root passes the per-user limit');
    const ipcfs = readFileSync(join(d.dir, 'limits', 'ipcfs'), 'utf8');
    t.regex(ipcfs, /^uid-shm-pages: 2$/m);
  }, { args: ['--allow-other', '--limits', 'uid-shm-pages=2'] });
});

test('status without reading the memory: size, owner, mode, opens, unlinked, the path served, times; read-only; ipcperms read', async (t) => {
  await withDaemon(async (d) => {
    const m = new Mapper();
    try {
      const fd = await m.do(`open ${join(named(d), 'st')}`);
      await m.do(`truncate ${fd} 4096`);
      await m.do(`map ${fd} 4096`);
      const s = status(d, 'st');
      t.like(s, { name: '/st', owner: '0', perms: '600', size: '4096', group: '0', cuid: '0', cgid: '0', opens: '1', unlinked: 'no', served: 'passthrough' });
      t.regex(s.mtime!, /^\d{4}-\d\d-\d\dT/);
      t.regex(s.ctime!, /^\d{4}-\d\d-\d\dT/);
      const sf = join(d.dir, 'shared-memory', 'status', 'named', 'st');
      t.is(statSync(sf).mode & 0o777, 0o400, 'the object\'s read bits');
      t.deepEqual(readdirSync(join(d.dir, 'shared-memory', 'status', 'named')), ['st'], 'no .new in the mirror');
      t.deepEqual(probe([`wr(${JSON.stringify(sf)}, 'x')`, `os.open(p(${JSON.stringify(sf)}), os.O_RDWR)`]), ['EACCES', 'EACCES'], 'read-only, for root too');
      t.is(probeOne(`rd(${JSON.stringify(sf)})`, NOBODY), 'EACCES', 'reading it is reading the object (ipcperms)');
      await m.do(`unlink ${join(named(d), 'st')}`);
      t.false(existsSync(sf));
    } finally {
      await m.end();
    }
  }, { args: ['--allow-other'] });
});

test('an unprivileged daemon (fusermount3) serves through the page cache: two processes share a mapping at once', async (t) => {
  await withNobodyMount(t, async (d, prefix) => {
    const [a, b] = [new Mapper(prefix), new Mapper(prefix)];
    const cat = (path: string): string => spawnSync(prefix[0]!, [...prefix.slice(1), 'cat', path], { encoding: 'utf8' }).stdout;
    try {
      const p = join(named(d), 'np');
      const fa = await a.do(`open ${p}`);
      await a.do(`truncate ${fa} 4096`);
      const fb = await b.do(`open ${p}`);
      const [ma, mb] = [await a.do(`map ${fa} 4096`), await b.do(`map ${fb} 4096`)];
      await a.do(`store ${ma} 7 77`);
      t.is(await b.do(`load ${mb} 7 1`), '77', 'no msync');
      t.is(await b.do(`pread ${fb} 7 1`), '77');
      await b.do(`pwrite ${fb} 9 99`);
      t.is(await a.do(`load ${ma} 9 1`), '99');
      t.regex(cat(join(d.dir, 'shared-memory', 'status', 'named', 'np')), /^served: cached$/m);
      t.deepEqual(await answer(a, `unlink ${p}`), 'ok');
      t.is(await b.do(`load ${mb} 7 1`), '77', 'unlinked, still mapped');
      t.is(cat(join(d.dir, 'shared-memory', 'status', 'named', 'np')), '', 'gone from the status mirror');
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });
});
