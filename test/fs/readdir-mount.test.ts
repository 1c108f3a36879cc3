/**
 * Listing big directories through a real mount: every entry exactly once, time linear in the
 * entries (a ratio of two sizes, not an absolute time), and open directory streams that cost the
 * daemon O(1) memory each (today's main snapshotted the whole directory at each OPENDIR).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Actor } from '../helpers/actor.js';
import { mountTest, withDaemon } from '../helpers/mount.js';

const test = mountTest();

const rssKb = (pid: number): number => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

/** The best of a few listings (ms), and the names of the last. */
function timeListing(dir: string, runs = 5): { ms: number; names: string[] } {
  let best = Infinity;
  let names: string[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    names = readdirSync(dir);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: best, names };
}

test('20000 System V sets: each listed exactly once; listing 5x the entries takes well under 25x the time', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sysv = join(dir, 'semaphores', 'sysv');
    const root = await Actor.start();
    try {
      await root.ok('createn', 4000, join(sysv, '.new'), 'semget private 1');
      const small = timeListing(sysv);
      t.is(small.names.length, 4001);
      await root.ok('createn', 16000, join(sysv, '.new'), 'semget private 1');
      const big = timeListing(sysv);
      t.is(big.names.length, 20001);
      t.is(new Set(big.names).size, 20001, 'no name twice');
      t.is(big.names.filter((n) => /^\d+$/.test(n)).length, 20000);
      const ratio = big.ms / small.ms;
      t.log(`4000 sets: ${small.ms.toFixed(1)} ms, 20000 sets: ${big.ms.toFixed(1)} ms, ratio ${ratio.toFixed(1)} (linear: 5, quadratic: 25)`);
      // wall-clock, best of 5: a busy machine inflates the ratio (12 seen under load), today's main
      // measured 29.5; the bound sits between
      t.true(ratio < 20, `ratio ${ratio.toFixed(1)}`);
    } finally {
      await root.stop();
    }
  });
});

test('500 open directory streams on a 20000-entry directory, each part-way through, cost the daemon under 40 MB; all then list the rest once', async (t) => {
  await withDaemon(async ({ dir, child }) => {
    const sysv = join(dir, 'semaphores', 'sysv');
    const root = await Actor.start();
    try {
      await root.ok('createn', 20000, join(sysv, '.new'), 'semget private 1');
      readdirSync(sysv);
      const before = rssKb(child.pid!);
      const streams: number[] = [];
      for (let i = 0; i < 500; i++) {
        const d = (await root.ok('dir', sysv)) as number;
        t.is(((await root.ok('dirread', d, 1)) as string[]).length, 1); // the first READDIR: a stream part-way through
        streams.push(d);
      }
      const grew = (rssKb(child.pid!) - before) / 1024;
      t.log(`daemon RSS +${grew.toFixed(1)} MB for 500 open streams`);
      t.true(grew < 40, `+${grew.toFixed(1)} MB`);
      for (const d of streams.slice(0, 3)) {
        const names = (await root.ok('dirread', d, 30000)) as string[];
        t.is(names.length, 20000, 'by-key and the 20000 sets, less the one read already');
        t.is(new Set(names).size, names.length);
      }
      for (const d of streams) await root.ok('dirclose', d);
    } finally {
      await root.stop();
    }
  });
});

test('sets created and removed while a stream lists: each set present throughout is listed once', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sysv = join(dir, 'semaphores', 'sysv');
    const root = await Actor.start();
    try {
      await root.ok('createn', 6000, join(sysv, '.new'), 'semget private 1');
      const initial = readdirSync(sysv).filter((n) => n !== 'by-key');
      const d = (await root.ok('dir', sysv)) as number;
      const first = (await root.ok('dirread', d, 1)) as string[];
      // remove every third set after the first few thousand, and make new ones
      const gone = new Set(initial.filter((_, i) => i > 3000 && i % 3 === 0));
      for (const id of gone) await root.ok('unlink', join(sysv, id));
      await root.ok('createn', 500, join(sysv, '.new'), 'semget private 1');
      const names = [...first, ...((await root.ok('dirread', d, 100000)) as string[])];
      t.is(new Set(names).size, names.length, 'no name twice');
      const listed = new Set(names);
      t.true(initial.filter((n) => !gone.has(n)).every((n) => listed.has(n)), 'every survivor listed');
      const stale = [...gone].filter((n) => listed.has(n)).length;
      t.log(`${stale} of ${gone.size} removed sets listed (fetched before their removal)`);
      t.true(stale < gone.size / 2, 'removed sets not yet fetched by the kernel are not listed');
    } finally {
      await root.stop();
    }
  });
});
