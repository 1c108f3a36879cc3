/**
 * The shared-memory prototype (fs/memory/memory-file.ts) on a real mount, through both paths:
 * FUSE passthrough to a memfd and the page cache of one kernel inode. Each scenario runs, step for
 * step, on the mount and on /dev/shm (the kernel's own shared memory, the oracle): the answers must
 * be the same. What reached the daemon (shm-stats) shows which path served the object.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Mapper } from '../helpers/mapper.js';
import { answer, runBoth, truncateGrows, twoProcesses, unlinkWhileMapped, withNobodyMount } from '../helpers/shm-scenarios.js';
import { mountTest, withDaemon, type Daemon } from '../helpers/mount.js';

const test = mountTest();
const PATHS = ['passthrough', 'cached'] as const;

/** One line of shm-stats for dir/name, as fields. */
function stats(d: Daemon, dirName: string, name: string): Record<string, string> | undefined {
  const line = readFileSync(join(d.dir, '.ipcfs-test', 'shm-stats'), 'utf8').split('\n').find((l) => l.startsWith(`${dirName}/${name} `));
  if (!line) return undefined;
  return Object.fromEntries(line.split(' ').slice(1).map((kv) => kv.split('=') as [string, string]));
}

for (const path of PATHS) {
  const dirName = `shm-${path}`;
  const within = (d: Daemon) => join(d.dir, '.ipcfs-test', dirName);

  test(`${path}: two processes share a mapping; a store is seen at once by the other's mapping and read(2)`, async (t) => {
    await withDaemon(async (d) => {
      const got = await runBoth(t, within(d), twoProcesses);
      t.is(got[2], 'cafe');
      const s = stats(d, dirName, 'seg')!;
      t.is(s.path, path);
      if (path === 'passthrough') {
        t.is(s.reads, '0', 'passthrough: no READ reaches the daemon');
        t.is(s.writes, '0', 'passthrough: no WRITE reaches the daemon');
      } else {
        t.true(Number(s.writes) >= 2, 'cached: write(2) is written through to the daemon');
      }
    });
  });

  test(`${path}: truncate grows with zeros, shrinks, and pread/pwrite work at offsets`, async (t) => {
    await withDaemon(async (d) => {
      await runBoth(t, within(d), truncateGrows, 1);
      t.is(stats(d, dirName, 'grow')!.size, '100000');
    });
  });

  test(`${path}: unlink while mapped: mappings and descriptors keep working; the memory goes with the last user`, async (t) => {
    await withDaemon(async (d) => {
      const memfds = () => readdirSync(`/proc/${d.child.pid}/fd`).filter((fd) => {
        try {
          return readlinkSync(`/proc/${d.child.pid}/fd/${fd}`).includes(`ipcfs-test:gone`);
        } catch {
          return false;
        }
      }).length;
      const shm = join('/dev/shm', `ipcfs-proto-${randomBytes(4).toString('hex')}`);
      mkdirSync(shm);
      const ours = [new Mapper(), new Mapper(), new Mapper()];
      const kernel = [new Mapper(), new Mapper(), new Mapper()];
      try {
        const got = await unlinkWhileMapped(within(d), ours);
        t.deepEqual(got, await unlinkWhileMapped(shm, kernel), 'the same answers as /dev/shm');
        t.deepEqual(got.slice(0, 5), ['ok', { err: 'ENOENT' }, 'ok', 'aabb', 'aabb']);
        t.is(memfds(), 1, 'the unlinked object keeps its memory while mapped');
        await Promise.all(ours.map((m) => m.end()));
        // RELEASE arrives after the exit (munmap, close): wait for it, bounded.
        const deadline = Date.now() + 2000;
        while (memfds() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        t.is(memfds(), 0, 'freed when the last mapping went');
      } finally {
        await Promise.all([...ours, ...kernel].map((m) => m.end()));
        rmSync(shm, { recursive: true, force: true });
      }
    });
  });
}

for (const path of PATHS) {
  test(`${path}: a fixed-size (System V) object refuses to grow or shrink with EPERM, by write(2) and truncate alike`, async (t) => {
    await withDaemon(async (d) => {
      const a = new Mapper();
      try {
        const p = join(d.dir, '.ipcfs-test', `shm-${path}`, 'sysv-8192');
        const fa = await a.do(`open ${p}`);
        t.is(await a.do(`size ${fa}`), 8192);
        const m = await a.do(`map ${fa} 8192`);
        t.is(await a.do(`pwrite ${fa} 8190 0102`), 2, 'a write inside the segment');
        t.is(await a.do(`load ${m} 8190 2`), '0102');
        t.is(await a.do(`pwrite ${fa} 8191 0102`), 1, 'a write across the end: what fits (a sealed memfd\'s answer)');
        t.deepEqual(await answer(a, `pwrite ${fa} 8192 01`), { err: 'EPERM' }, 'a write past the end');
        t.deepEqual(await answer(a, `truncate ${fa} 16384`), { err: 'EPERM' });
        t.deepEqual(await answer(a, `truncate ${fa} 0`), { err: 'EPERM' });
        t.is(await a.do(`size ${fa}`), 8192);
        t.is(stats(d, `shm-${path}`, 'sysv-8192')!.size, '8192');
        // a size that is not a page multiple: shmem writes by page and refuses a page-bounded
        // piece that would end past the size (EPERM), keeping the pieces before it
        const fb = await a.do(`open ${join(d.dir, '.ipcfs-test', `shm-${path}`, 'sysv-10000')}`);
        t.deepEqual(await answer(a, `pwrite ${fb} 9999 0102`), { err: 'EPERM' }, 'across the end inside the last page');
        t.is(await a.do(`pwrite ${fb} 5000 ${'ab'.repeat(6000)}`), 3192, 'up to the last page boundary within the size');
        t.is(await a.do(`pread ${fb} 8191 2`), 'ab00');
      } finally {
        await a.end();
      }
    });
  });
}

test('cached: a store through a mapping reaches the daemon only on writeback (msync here); read(2) sees it before', async (t) => {
  await withDaemon(async (d) => {
    const [a, b] = [new Mapper(), new Mapper()];
    try {
      const p = join(d.dir, '.ipcfs-test', 'shm-cached', 'wb');
      const fa = await a.do(`open ${p}`);
      await a.do(`truncate ${fa} 4096`);
      const m = await a.do(`map ${fa} 4096`);
      const fb = await b.do(`open ${p}`);
      const before = Number(stats(d, 'shm-cached', 'wb')!.writes);
      await a.do(`store ${m} 10 5a5a`);
      t.is(await b.do(`pread ${fb} 10 2`), '5a5a', 'the other process reads it from the shared page cache');
      t.is(Number(stats(d, 'shm-cached', 'wb')!.writes), before, 'the daemon\'s copy has not seen it yet');
      await a.do(`msync ${m}`);
      t.is(Number(stats(d, 'shm-cached', 'wb')!.writes), before + 1, 'msync writes the page back');
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });
});

test('passthrough: a store through a mapping is in the daemon\'s memfd at once (the mapping is the memfd)', async (t) => {
  await withDaemon(async (d) => {
    const a = new Mapper();
    try {
      const p = join(d.dir, '.ipcfs-test', 'shm-passthrough', 'direct');
      const fa = await a.do(`open ${p}`);
      await a.do(`truncate ${fa} 4096`);
      const m = await a.do(`map ${fa} 4096`);
      await a.do(`store ${m} 0 ${Buffer.from('in the memfd').toString('hex')}`);
      // The daemon's own descriptor of the object, read by root through /proc: the same pages.
      const fd = readdirSync(`/proc/${d.child.pid}/fd`).find((f) => {
        try {
          return readlinkSync(`/proc/${d.child.pid}/fd/${f}`).includes('ipcfs-test:direct');
        } catch {
          return false;
        }
      });
      t.truthy(fd);
      t.is(readFileSync(`/proc/${d.child.pid}/fd/${fd}`).subarray(0, 12).toString(), 'in the memfd');
    } finally {
      await a.end();
    }
  });
});

test('auto: a daemon with CAP_SYS_ADMIN serves by passthrough', async (t) => {
  await withDaemon(async (d) => {
    const a = new Mapper();
    try {
      const fa = await a.do(`open ${join(d.dir, '.ipcfs-test', 'shm-auto', 'x')}`);
      await a.do(`pwrite ${fa} 0 01`);
      t.is(stats(d, 'shm-auto', 'x')!.path, 'passthrough');
    } finally {
      await a.end();
    }
  });
});

test('auto: an unprivileged daemon (fusermount3) serves through the page cache, and sharing works', async (t) => {
  await withNobodyMount(t, async (d, prefix) => {
    const [a, b] = [new Mapper(prefix), new Mapper(prefix)];
    try {
      const p = join(d.dir, '.ipcfs-test', 'shm-auto', 'np');
      const fa = await a.do(`open ${p}`);
      await a.do(`truncate ${fa} 4096`);
      const fb = await b.do(`open ${p}`);
      const [ma, mb] = [await a.do(`map ${fa} 4096`), await b.do(`map ${fb} 4096`)];
      await a.do(`store ${ma} 7 77`);
      t.is(await b.do(`load ${mb} 7 1`), '77');
      t.is(await b.do(`pread ${fb} 7 1`), '77');
      const cat = spawnSync(prefix[0]!, [...prefix.slice(1), 'cat', join(d.dir, '.ipcfs-test', 'shm-stats')], { encoding: 'utf8' });
      t.regex(cat.stdout, /^shm-auto\/np path=cached /m);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });
});
