/**
 * Shared-memory scenarios run step for step on a directory of ipcfs and on /dev/shm (the kernel's
 * own shared memory, the oracle): the answers must be the same. Used by the prototype's tests
 * (test/fs/shm-prototype.test.ts: both serving paths forced) and by shared-memory/named's
 * (test/fs/shm/named.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { Mapper } from './mapper.js';
import { asNobody, isMountpoint, withDaemon, type Daemon } from './mount.js';

/** The steps of one scenario, run by the mappers on files under dir; returns every answer. */
export type Scenario = (dir: string, m: Mapper[]) => Promise<unknown[]>;

export async function answer(m: Mapper, cmd: string): Promise<unknown> {
  try {
    return await m.do(cmd);
  } catch (err) {
    return { err: (err as { code?: string }).code };
  }
}

export async function runBoth(t: ExecutionContext, dir: string, scenario: Scenario, mappers = 2): Promise<unknown[]> {
  const shm = join('/dev/shm', `ipcfs-proto-${randomBytes(4).toString('hex')}`);
  mkdirSync(shm);
  const ours = Array.from({ length: mappers }, () => new Mapper());
  const kernel = Array.from({ length: mappers }, () => new Mapper());
  try {
    const got = await scenario(dir, ours);
    const want = await scenario(shm, kernel);
    t.deepEqual(got, want, 'the same answers as /dev/shm');
    return got;
  } finally {
    await Promise.all([...ours, ...kernel].map((m) => m.end()));
    rmSync(shm, { recursive: true, force: true });
  }
}

export const twoProcesses: Scenario = async (dir, [a, b]) => {
  const p = join(dir, 'seg');
  const out: unknown[] = [];
  const fa = await a!.do(`open ${p}`);
  out.push(await a!.do(`truncate ${fa} 8192`));
  const fb = await b!.do(`open ${p}`);
  const ma = await a!.do(`map ${fa} 8192`);
  const mb = await b!.do(`map ${fb} 8192`);
  out.push(await a!.do(`store ${ma} 100 cafe`), await b!.do(`load ${mb} 100 2`)); // seen at once, no msync
  out.push(await b!.do(`store ${mb} 8190 0102`), await a!.do(`load ${ma} 8190 2`));
  out.push(await b!.do(`pread ${fb} 100 2`), await a!.do(`pread ${fa} 8190 2`)); // read(2) after a mapped store
  out.push(await a!.do(`pwrite ${fa} 4000 beef`), await b!.do(`load ${mb} 4000 2`)); // a mapping after write(2)
  out.push(await b!.do(`pwrite ${fb} 8191 ff`), await a!.do(`load ${ma} 8190 2`), await a!.do(`pread ${fa} 8190 2`));
  out.push(await b!.do(`size ${fb}`));
  return out;
};

export const truncateGrows: Scenario = async (dir, [a]) => {
  const p = join(dir, 'grow');
  const fa = await a!.do(`open ${p}`);
  const out: unknown[] = [];
  out.push(await a!.do(`pwrite ${fa} 0 ${'ff'.repeat(16)}`), await a!.do(`size ${fa}`));
  out.push(await a!.do(`truncate ${fa} 8`), await a!.do(`truncate ${fa} 100000`), await a!.do(`size ${fa}`));
  out.push(await a!.do(`pread ${fa} 0 16`), await a!.do(`pread ${fa} 90000 4`));
  const m = await a!.do(`map ${fa} 100000`);
  out.push(await a!.do(`load ${m} 0 16`), await a!.do(`load ${m} 99996 4`));
  out.push(await a!.do(`pwrite ${fa} 99999 01`), await a!.do(`load ${m} 99996 4`));
  out.push(await a!.do(`pread ${fa} 99990 100`), await a!.do(`pread ${fa} 100000 10`)); // short at EOF, then empty
  return out;
};

export const unlinkWhileMapped: Scenario = async (dir, [a, b, c]) => {
  const p = join(dir, 'gone');
  const out: unknown[] = [];
  const fa = await a!.do(`open ${p}`);
  await a!.do(`truncate ${fa} 4096`);
  const ma = await a!.do(`map ${fa} 4096`);
  await a!.do(`store ${ma} 0 aa`);
  const fb = await b!.do(`open ${p}`);
  const mb = await b!.do(`map ${fb} 4096`);
  await b!.do(`close ${fb}`); // the mapping alone keeps it
  out.push(await a!.do(`unlink ${p}`));
  out.push(await answer(c!, `unlink ${p}`)); // ENOENT: the name is gone
  out.push(await a!.do(`store ${ma} 1 bb`), await b!.do(`load ${mb} 0 2`), await a!.do(`pread ${fa} 0 2`));
  out.push(await a!.do(`truncate ${fa} 8192`), await a!.do(`size ${fa}`));
  const fc = await c!.do(`open ${p}`); // a new object of the same name: empty
  out.push(await c!.do(`size ${fc}`), await c!.do(`close ${fc}`), await c!.do(`unlink ${p}`));
  out.push(await b!.do(`load ${mb} 0 2`));
  return out;
};


/**
 * Runs fn with a mount made by nobody through fusermount3 (no CAP_SYS_ADMIN: shared memory is
 * served through the page cache); prefix runs a command as nobody. Passes with a note where
 * fusermount3 is missing (never when CI=true).
 */
export async function withNobodyMount(t: ExecutionContext, fn: (d: Daemon, prefix: string[]) => Promise<void>): Promise<void> {
  if (!existsSync('/usr/bin/fusermount3') && process.env.CI !== 'true') {
    t.log('skipping: fusermount3 is not installed (Debian package fuse3; npm test installs it as root)');
    t.pass();
    return;
  }
  const id = (flag: string) => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
  const [uid, gid] = [id('-u'), id('-g')];
  const who = asNobody(t);
  if (typeof who === 'string') return void t.fail(who);
  const { prefix, cli } = who;
  const base = mkdtempSync(join(tmpdir(), 'ipcfs-nobody-shm-'));
  spawnSync('chmod', ['755', base]);
  const dir = join(base, 'mnt');
  mkdirSync(dir);
  chownSync(dir, uid, gid);
  try {
    await withDaemon((d) => fn(d, prefix), {
      dir,
      prefix,
      cli,
      ready: (dd) => isMountpoint(dd) && spawnSync(prefix[0]!, [...prefix.slice(1), 'stat', join(dd, 'semaphores')]).status === 0,
    });
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
