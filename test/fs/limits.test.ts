/**
 * Limits through a real mount, driven by an unprivileged user (nobody) with small limits set at
 * mount time: every limit refuses with Linux's errno, a refusal changes nothing, released quota is
 * reusable, root and other uids are not held by nobody's per-uid limits, and the limits/ files show
 * the limits (limits/sem in /proc/sys/kernel/sem's format) and the usage.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Actor } from '../helpers/actor.js';
import { eventually, mountTest, withDaemon } from '../helpers/mount.js';

const test = mountTest();

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];
const OTHER = ['setpriv', '--reuid=65533', '--regid=65533', '--clear-groups', '--'];

/** limits/ipcfs as `key: value` pairs, read by root (global usage) or through an actor (its own). */
function parseKv(text: string): Record<string, number> {
  return Object.fromEntries(text.trim().split('\n').map((l) => {
    const [k, v] = l.split(': ');
    return [k!, Number(v)];
  }));
}
const usage = (dir: string) => parseKv(readFileSync(join(dir, 'limits', 'ipcfs'), 'utf8'));
async function usageOf(a: Actor, dir: string): Promise<Record<string, number>> {
  const fd = await a.ok('open', join(dir, 'limits', 'ipcfs'), 'r');
  const text = (await a.ok('read', fd)) as string;
  await a.ok('close', fd);
  return parseKv(text);
}
const listing = (dir: string) => ['named', 'unnamed', 'sysv'].map((k) => readdirSync(join(dir, 'semaphores', k)).sort().join(',')).join(' | ');

async function actors(...prefixes: string[][]): Promise<Actor[]> {
  return Promise.all(prefixes.map((p) => Actor.start(p)));
}

test('limits/sem has /proc/sys/kernel/sem\'s format and the mount\'s values; limits/ are read-only; --sem-limits still works', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sem = readFileSync(join(dir, 'limits', 'sem'), 'utf8');
    const proc = readFileSync('/proc/sys/kernel/sem', 'utf8');
    t.is(sem.replace(/\d+/g, 'N'), proc.replace(/\d+/g, 'N'), 'same separators and fields as the kernel\'s file');
    t.is(sem, '250\t1024000000\t32\t7\n', 'SEMMSL SEMMNS SEMOPM SEMMNI');
    const l = usage(dir);
    t.like(l, { semmsl: 250, semopm: 32, semmni: 7, 'uid-handles': 9, semvmx: 32767, semaem: 32767, 'sem-sets-used': 0 });
    for (const f of ['sem', 'ipcfs']) t.is(statSync(join(dir, 'limits', f)).mode & 0o7777, 0o444, f);
    // the default SHMMAX (2^64 - 2^24 - 1) is no double: printed as the kernel prints it, not rounded
    const shmmax = /^shmmax: (\d+)$/m.exec(readFileSync(join(dir, 'limits', 'ipcfs'), 'utf8'))?.[1];
    t.is(shmmax, readFileSync(join(dir, 'limits', 'shmmax'), 'utf8').trim());
    const [nobody] = await actors(NOBODY);
    try {
      t.deepEqual(await nobody!.do('open', join(dir, 'limits', 'sem'), 'w'), { err: 'EACCES' });
      const mine = await usageOf(nobody!, dir);
      t.is(mine.uid, 65534);
      t.is(mine['uid-handles-used'], 1, 'the reader\'s own open file');
    } finally {
      await nobody!.stop();
    }
    const root = await Actor.start();
    try {
      t.deepEqual(await root.do('open', join(dir, 'limits', 'ipcfs'), 'rw'), { err: 'EACCES' }, 'root too: limits are set at mount time');
    } finally {
      await root.stop();
    }
  }, { args: ['--allow-other', '--sem-limits', 'semmsl=250,semopm=32', '--limits', 'semmni=7,uid-handles=9'] });
});

test('per uid: objects and semaphores past nobody\'s limits are ENOSPC and change nothing; root and another uid go on; removal frees quota once', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sems = join(dir, 'semaphores');
    const [nobody, other] = (await actors(NOBODY, OTHER)) as [Actor, Actor];
    try {
      const id1 = (await nobody.ok('create', join(sems, 'sysv', '.new'), 'semget private 4')) as string;
      const u1 = (await nobody.ok('create', join(sems, 'unnamed', '.new'), 'create value=1')) as string;
      await nobody.ok('close', await nobody.ok('open', join(sems, 'named', 'n1'), 'creat'));
      t.like(await usageOf(nobody, dir), { 'uid-objects-used': 3, 'uid-semaphores-used': 6 });

      const before = listing(dir);
      const used = usage(dir);
      t.deepEqual(await nobody.do('create', join(sems, 'sysv', '.new'), 'semget private 1'), { err: 'ENOSPC' });
      t.deepEqual(await nobody.do('create', join(sems, 'unnamed', '.new'), 'create'), { err: 'ENOSPC' });
      t.deepEqual(await nobody.do('create', join(sems, 'named', '.new'), 'create n2'), { err: 'ENOSPC' });
      t.deepEqual(await nobody.do('open', join(sems, 'named', 'n2'), 'creat'), { err: 'ENOSPC' });
      t.deepEqual(await nobody.do('mkdir', join(sems, 'named', 'd')), { err: 'ENOSPC' });
      t.is(listing(dir), before, 'no object appeared');
      t.deepEqual(usage(dir), used, 'no count moved');

      // nobody's limit holds nobody only
      await other.ok('create', join(sems, 'sysv', '.new'), 'semget private 10');
      t.deepEqual(await other.do('create', join(sems, 'unnamed', '.new'), 'create'), { err: 'ENOSPC' }, 'uid-semaphores (10) for uid 65533');
      const root = await Actor.start();
      try {
        await root.ok('create', join(sems, 'sysv', '.new'), 'semget private 40');
        for (let i = 0; i < 4; i++) await root.ok('create', join(sems, 'unnamed', '.new'), 'create');
      } finally {
        await root.stop();
      }

      // freed quota is reusable; a removal is counted once
      await nobody.ok('unlink', join(sems, 'sysv', id1));
      t.deepEqual(await nobody.do('unlink', join(sems, 'sysv', id1)), { err: 'ENOENT' });
      t.like(await usageOf(nobody, dir), { 'uid-objects-used': 2, 'uid-semaphores-used': 2 });
      t.deepEqual(await nobody.do('create', join(sems, 'sysv', '.new'), 'semget private 9'), { err: 'ENOSPC' }, '2 + 9 semaphores > 10');
      const id2 = (await nobody.ok('create', join(sems, 'sysv', '.new'), 'semget private 8')) as string;
      // rmid through an open handle, twice (a second removal must not give back twice), and unlink: all back to zero
      const fd = await nobody.ok('open', join(sems, 'unnamed', u1), 'rw');
      await nobody.ok('write', fd, 'rmid');
      await nobody.do('write', fd, 'rmid');
      await nobody.ok('close', fd);
      await nobody.ok('unlink', join(sems, 'named', 'n1'));
      await nobody.ok('unlink', join(sems, 'sysv', id2));
      t.like(await usageOf(nobody, dir), { 'uid-objects-used': 0, 'uid-semaphores-used': 0 });
      t.like(usage(dir), { 'objects-used': 6, 'semaphores-used': 54, 'sem-sets-used': 2 }, 'root\'s 5 and uid 65533\'s 1 remain');
    } finally {
      await nobody.stop();
      await other.stop();
    }
  }, { args: ['--allow-other', '--limits', 'uid-objects=3,uid-semaphores=10'] });
});

test('global: SEMMNS, SEMMNI and objects are ENOSPC for everyone, root included, and change nothing', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sems = join(dir, 'semaphores');
    const [nobody, root] = (await actors(NOBODY, [])) as [Actor, Actor];
    try {
      const big = (await root.ok('create', join(sems, 'sysv', '.new'), 'semget private 50')) as string;
      t.deepEqual(await nobody.do('create', join(sems, 'sysv', '.new'), 'semget private 11'), { err: 'ENOSPC' }, 'SEMMNS');
      await nobody.ok('create', join(sems, 'sysv', '.new'), 'semget private 10');
      t.deepEqual(await root.do('create', join(sems, 'sysv', '.new'), 'semget private 1'), { err: 'ENOSPC' }, 'SEMMNS holds root too');
      t.deepEqual(await root.do('create', join(sems, 'unnamed', '.new'), 'create'), { err: 'ENOSPC' }, 'POSIX semaphores count toward SEMMNS');
      await root.ok('unlink', join(sems, 'sysv', big));
      for (let i = 0; i < 4; i++) await root.ok('create', join(sems, 'sysv', '.new'), 'semget private 1');
      const before = listing(dir);
      const used = usage(dir);
      t.is(used['sem-sets-used'], 5);
      t.deepEqual(await root.do('create', join(sems, 'sysv', '.new'), 'semget 0x1234 1 creat'), { err: 'ENOSPC' }, 'SEMMNI');
      t.deepEqual(await nobody.do('create', join(sems, 'sysv', '.new'), 'semget private 1'), { err: 'ENOSPC' }, 'SEMMNI');
      t.is(listing(dir), before);
      t.deepEqual(usage(dir), used);
      for (let i = 0; i < 3; i++) await root.ok('create', join(sems, 'unnamed', '.new'), 'create');
      t.is(usage(dir)['objects-used'], 8);
      const full = listing(dir);
      t.deepEqual(await root.do('create', join(sems, 'unnamed', '.new'), 'create'), { err: 'ENOSPC' }, 'objects');
      t.deepEqual(await nobody.do('open', join(sems, 'named', 'x'), 'creat'), { err: 'ENOSPC' }, 'objects');
      t.deepEqual(await root.do('mkdir', join(sems, 'named', 'd')), { err: 'ENOSPC' }, 'objects: named/ directories count');
      t.is(listing(dir), full);
    } finally {
      await nobody.stop();
      await root.stop();
    }
  }, { args: ['--allow-other', '--limits', 'semmsl=50,semmns=60,semmni=5,objects=8'] });
});

test('open files: EMFILE past nobody\'s limit (no object made by O_CREAT), ENFILE past everyone\'s; close and SIGKILL give them back', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sem = join(dir, 'limits', 'sem');
    const [nobody, other, root] = (await actors(NOBODY, OTHER, [])) as [Actor, Actor, Actor];
    try {
      const fds = [];
      for (let i = 0; i < 4; i++) fds.push(await nobody.ok('open', sem, 'r'));
      t.deepEqual(await nobody.do('open', sem, 'r'), { err: 'EMFILE' });
      t.deepEqual(await nobody.do('open', join(dir, 'semaphores', 'named', 'x'), 'creat'), { err: 'EMFILE' });
      t.throws(() => statSync(join(dir, 'semaphores', 'named', 'x')), { code: 'ENOENT' }, 'a refused O_CREAT made nothing');
      t.deepEqual(await nobody.do('create', join(dir, 'semaphores', 'unnamed', '.new'), 'create'), { err: 'EMFILE' });
      t.is(usage(dir)['objects-used'], 0);
      const fd = await nobody.ok('opendir', join(dir, 'semaphores'));
      await nobody.ok('close', fd);
      for (let i = 0; i < 4; i++) await other.ok('open', sem, 'r');
      t.like(usage(dir), { 'handles-used': 9 }, 'nobody 4, uid 65533 4, this read 1');
      for (let i = 0; i < 2; i++) await root.ok('open', sem, 'r');
      t.deepEqual(await root.do('open', sem, 'r'), { err: 'ENFILE' }, 'the global limit holds root');
      t.deepEqual(await other.do('open', sem, 'r'), { err: 'ENFILE' });
      await nobody.ok('close', fds.pop()!);
      t.is(typeof (await root.ok('open', sem, 'r')), 'number', 'a closed file\'s quota is reusable');
      await nobody.stop(true);
      t.true(await eventually(() => usage(dir)['handles-used'] === 7 + 1), 'SIGKILL released nobody\'s three, once');
      const again = await Actor.start(NOBODY);
      try {
        for (let i = 0; i < 2; i++) await again.ok('open', sem, 'r');
      } finally {
        await again.stop();
      }
    } finally {
      await nobody.stop();
      await other.stop();
      await root.stop();
    }
  }, { args: ['--allow-other', '--limits', 'handles=10,uid-handles=4'] });
});

test('directory streams: EMFILE past nobody\'s limit, ENFILE past everyone\'s; close and SIGKILL give them back', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sysv = join(dir, 'semaphores', 'sysv');
    const [nobody, other, root] = (await actors(NOBODY, OTHER, [])) as [Actor, Actor, Actor];
    try {
      const fds = [];
      for (let i = 0; i < 2; i++) fds.push(await nobody.ok('opendir', sysv));
      t.deepEqual(await nobody.do('opendir', sysv), { err: 'EMFILE' });
      t.deepEqual(await nobody.do('opendir', dir), { err: 'EMFILE' });
      for (let i = 0; i < 2; i++) await other.ok('opendir', sysv);
      await root.ok('opendir', sysv);
      t.like(usage(dir), { 'dir-streams-used': 5 });
      t.deepEqual(await root.do('opendir', sysv), { err: 'ENFILE' });
      t.deepEqual(await nobody.do('opendir', sysv), { err: 'ENFILE' }, 'the global answer when both are reached');
      t.like(usage(dir), { 'dir-streams-used': 5 }, 'refusals took nothing');
      await nobody.ok('close', fds.pop()!);
      t.like(usage(dir), { 'dir-streams-used': 4 });
      const d = await nobody.ok('dir', sysv);
      t.deepEqual(await nobody.ok('dirread', d, 10), ['by-key'], 'a stream lists');
      await nobody.stop(true);
      t.true(await eventually(() => usage(dir)['dir-streams-used'] === 3), 'SIGKILL released nobody\'s two, once');
    } finally {
      await nobody.stop();
      await other.stop();
      await root.stop();
    }
  }, { args: ['--allow-other', '--limits', 'dir-streams=5,uid-dir-streams=2'] });
});

test('undo entries: past nobody\'s limit a semop with undo is ENOMEM (Linux\'s semop answer) and changes nothing; close gives them back', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sysv = join(dir, 'semaphores', 'sysv');
    const [nobody, root] = (await actors(NOBODY, [])) as [Actor, Actor];
    const value = () => /^value: (.*)$/m.exec(readFileSync(join(sysv, id), 'utf8'))?.[1];
    const id = (await root.ok('create', join(sysv, '.new'), 'semget private 5 mode=0666')) as string;
    try {
      const fd = await nobody.ok('open', join(sysv, id), 'rw');
      await nobody.ok('write', fd, 'op 0:+1:undo 1:+1:undo');
      await nobody.ok('write', fd, 'op 0:+1:undo 2:+1:undo'); // 3 entries: sems 0, 1, 2
      t.like(await usageOf(nobody, dir), { 'uid-undo-used': 3 });
      t.deepEqual(await nobody.do('write', fd, 'op 4:+1 3:+1:undo'), { err: 'ENOMEM' });
      t.is(value(), '2 1 1 0 0', 'the refused op changed nothing');
      await nobody.ok('write', fd, 'op 0:-1:undo'); // an existing entry costs nothing more
      await nobody.ok('write', fd, 'op 1:-1:undo'); // an entry back to 0 goes
      t.like(await usageOf(nobody, dir), { 'uid-undo-used': 2 });
      await nobody.ok('write', fd, 'op 3:+1:undo');
      const rfd = await root.ok('open', join(sysv, id), 'rw');
      await root.ok('write', rfd, 'op 0:+1:undo 1:+1:undo 2:+1:undo 3:+1:undo 4:+1:undo'); // root is not held by nobody's limit
      await nobody.ok('close', fd);
      t.like(await usageOf(nobody, dir), { 'uid-undo-used': 0 });
      t.is(usage(dir)['undo-used'], 5, 'root\'s five');
      t.is(value(), '1 1 1 1 1', 'nobody\'s adjustments were undone at close: root\'s +1s remain');
      await root.ok('close', rfd);
      t.is(usage(dir)['undo-used'], 0);
    } finally {
      await nobody.stop();
      await root.stop();
    }
  }, { args: ['--allow-other', '--limits', 'uid-undo=3'] });
});
