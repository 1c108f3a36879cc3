/**
 * Real mounts, as root (and one as nobody through fusermount3). They run for real in CI.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountState } from '../../fs/fuse/mount.js';
import { CLI, PACKAGE_ROOT, asNobody, ensureUnmounted, eventually, freshDir, isMountpoint, mountTest, sh, sleep, startDaemon, stopDaemon, withDaemon } from '../helpers/mount.js';

const test = mountTest();

const blockedCount = (file: string): number => Number(/blocked: (\d+)/.exec(readFileSync(file, 'utf8'))?.[1] ?? -1);

/** Process state letter from /proc (R, S, D, Z ...), or null once it is gone. */
function procState(pid: number): string | null {
  try {
    return /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

test('the tree: semaphores, shared-memory, mqueue and jobserver with their kind directories', async (t) => {
  await withDaemon(async ({ dir }) => {
    t.deepEqual(readdirSync(dir).filter((n) => !n.startsWith('.')).sort(), ['jobserver', 'limits', 'mqueue', 'semaphores', 'shared-memory', 'sysvipc']);
    t.deepEqual(readdirSync(join(dir, 'semaphores')).sort(), ['named', 'sysv', 'unnamed']);
    t.deepEqual(readdirSync(join(dir, 'shared-memory')).sort(), ['named', 'status', 'sysv']);
    t.is(statSync(join(dir, 'shared-memory', 'status')).mode & 0o7777, 0o555, 'status/ is read-only');
    t.deepEqual(readdirSync(join(dir, 'mqueue')).sort(), ['named', 'sysv']);
    t.deepEqual(readdirSync(join(dir, 'jobserver')).sort(), ['named', 'status']);
    t.is(statSync(join(dir, 'jobserver', 'status')).mode & 0o7777, 0o555, 'jobserver/status/ is read-only');
    for (const kind of ['semaphores/named', 'semaphores/unnamed', 'semaphores/sysv', 'shared-memory/named', 'shared-memory/sysv', 'mqueue/sysv', 'jobserver/named']) {
      const s = statSync(join(dir, kind));
      t.true(s.isDirectory(), kind);
      t.is(s.mode & 0o7777, 0o1777, `${kind} is world-writable and sticky, like /dev/shm`);
      t.deepEqual(readdirSync(join(dir, kind)), kind.endsWith('/sysv') ? ['by-key'] : [], `${kind} has no objects yet`);
    }
    const ls = spawnSync('ls', ['-la', join(dir, 'semaphores')], { encoding: 'utf8' });
    t.is(ls.status, 0, ls.stderr);
    t.regex(ls.stdout, /drwxrwxrwt .* named/);
    t.is(spawnSync('stat', [join(dir, 'mqueue', 'named')]).status, 0);
    const mounts = readFileSync('/proc/mounts', 'utf8');
    t.regex(mounts, new RegExp(`^ipcfs ${dir} fuse\\.ipcfs .*default_permissions`, 'm'));
  });
});

test('bad requests get errno and change nothing: create in a fixed dir, rename, mkdir', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = spawnSync('sh', ['-c', `mkdir ${dir}/semaphores/x; mv ${dir}/semaphores/named ${dir}/semaphores/n2; touch ${dir}/newfile`], { encoding: 'utf8' });
    t.regex(r.stderr, /mkdir: .*Operation not permitted/);
    t.regex(r.stderr, /mv: .*Operation not permitted/);
    t.regex(r.stderr, /touch: .*Operation not permitted/);
    t.deepEqual(readdirSync(join(dir, 'semaphores')).sort(), ['named', 'sysv', 'unnamed']);
    t.false(existsSync(join(dir, 'newfile')));
  });
});

test('a client blocked in a request and then SIGKILLed exits at once and is not left in D state', async (t) => {
  await withDaemon(async ({ dir }) => {
    const file = join(dir, '.ipcfs-test', 'block');
    const client = sh(`echo block > ${file}`);
    t.true(await eventually(() => blockedCount(file) === 1), 'the write is blocked in the daemon');
    const pid = client.child.pid!;
    process.kill(pid, 'SIGKILL');
    const ended = await Promise.race([client.done.then(() => true), sleep(5000).then(() => false)]);
    t.true(ended, `client still there, state ${procState(pid)}`);
    t.is((await client.done).signal, 'SIGKILL');
    t.true(await eventually(() => blockedCount(file) === 0), 'the daemon dropped the waiter');
    t.regex(readFileSync(file, 'utf8'), /interrupted: 1/);
  });
});

test('a blocked client interrupted by SIGINT sees its write fail with EINTR', async (t) => {
  await withDaemon(async ({ dir }) => {
    const file = join(dir, '.ipcfs-test', 'block');
    // Python runs a signal handler only when the syscall returned EINTR; the handler's exception
    // then leaves os.write (otherwise PEP 475 would retry the write).
    const client = sh(`exec python3 -c "
import os, signal
class Interrupted(Exception): pass
def handler(*a): raise Interrupted()
signal.signal(signal.SIGINT, handler)
fd = os.open('${file}', os.O_WRONLY)
try:
    os.write(fd, b'block')
    print('written')
except Interrupted:
    print('EINTR')
"`);
    t.true(await eventually(() => blockedCount(file) === 1));
    process.kill(client.child.pid!, 'SIGINT');
    const r = await client.done;
    t.is(r.out.trim(), 'EINTR', r.err);
  });
});

test('a blocked client does not block another that opens the same file with O_TRUNC or reads it', async (t) => {
  await withDaemon(async ({ dir }) => {
    const file = join(dir, '.ipcfs-test', 'block');
    const first = sh(`echo block > ${file}`);
    const second = sh(`echo block > ${file}`);
    t.true(await eventually(() => blockedCount(file) === 2), 'two writers blocked on the same file');
    const trunc = sh(`echo x > ${file}`);
    const trunced = await Promise.race([trunc.done, sleep(5000).then(() => null)]);
    t.truthy(trunced, '`echo x > file` finished while two writers are blocked');
    t.is(trunced?.code, 0);
    const cat = sh(`cat ${file}`);
    const catted = await Promise.race([cat.done, sleep(5000).then(() => null)]);
    t.regex(catted?.out ?? '', /blocked: 2/);
    spawnSync('sh', ['-c', `echo release > ${file}`]);
    t.is((await first.done).code, 0);
    t.is((await second.done).code, 0);
  });
});

test('daemon SIGKILLed then restarted: the stale mountpoint is recovered', async (t) => {
  const dir = freshDir();
  try {
    const d1 = await startDaemon({ dir });
    d1.child.kill('SIGKILL');
    await d1.exited;
    t.is(mountState(dir), 'stale', 'Transport endpoint is not connected');
    const d2 = await startDaemon({ dir });
    try {
      t.deepEqual(readdirSync(join(dir, 'semaphores')).sort(), ['named', 'sysv', 'unnamed']);
      t.true(await eventually(() => /stale FUSE mount/.test(d2.stderr())), d2.stderr());
    } finally {
      await stopDaemon(d2);
    }
  } finally {
    ensureUnmounted(dir);
  }
});

test('SIGTERM unmounts, even with a client blocked (which is released with an error)', async (t) => {
  const d = await startDaemon();
  try {
    const file = join(d.dir, '.ipcfs-test', 'block');
    const client = sh(`echo block > ${file}`);
    t.true(await eventually(() => blockedCount(file) === 1));
    d.child.kill('SIGTERM');
    t.is(await d.exited, 0);
    const r = await client.done;
    t.not(r.code, 0, 'the blocked write failed');
    t.regex(r.err, /echo: I\/O error/, 'with EIO: the daemon answered it while shutting down');
    t.false(isMountpoint(d.dir));
  } finally {
    await stopDaemon(d);
  }
});

test('`ipcfs umount DIR` unmounts a live mount (the daemon exits) and a stale one', async (t) => {
  const d = await startDaemon();
  try {
    const r = spawnSync(process.execPath, [CLI, 'umount', d.dir], { encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    t.is(await d.exited, 0);
    t.false(isMountpoint(d.dir));
    const again = spawnSync(process.execPath, [CLI, 'umount', d.dir], { encoding: 'utf8' });
    t.is(again.status, 1);
    t.regex(again.stderr, /not mounted/);
  } finally {
    await stopDaemon(d);
  }
  const dir = freshDir();
  try {
    const d2 = await startDaemon({ dir });
    d2.child.kill('SIGKILL');
    await d2.exited;
    const r = spawnSync(process.execPath, [CLI, 'umount', dir], { encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    t.false(isMountpoint(dir));
  } finally {
    ensureUnmounted(dir);
  }
});

test('a second daemon on a live mountpoint refuses clearly and leaves the first alone', async (t) => {
  await withDaemon(async (d) => {
    const r = spawnSync(process.execPath, [CLI, 'mount', d.dir], { encoding: 'utf8', timeout: 10000 });
    t.is(r.status, 1);
    t.regex(r.stderr, /already a live FUSE mount/);
    t.deepEqual(readdirSync(join(d.dir, 'semaphores')).sort(), ['named', 'sysv', 'unnamed']);
  });
});

/** The nobody user, and a copy of the package nobody can read if the checkout is not readable to it. */

test('an unprivileged user mounts through fusermount3 (fd passed over the unix socket)', async (t) => {
  if (!existsSync('/usr/bin/fusermount3') && process.env.CI !== 'true') {
    t.log('skipping: fusermount3 is not installed (Debian package fuse3; npm test installs it as root)');
    t.pass();
    return;
  }
  const who = asNobody(t);
  if (typeof who === 'string') return t.fail(who);
  const base = mkdtempSync(join(tmpdir(), 'ipcfs-nobody-'));
  spawnSync('chmod', ['755', base]);
  const dir = join(base, 'mnt');
  mkdirSync(dir);
  const owner = statSync(who.cli).uid;
  const uid = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
  chownSync(dir, uid, Number(spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim()));
  t.log(`daemon files owned by uid ${owner}, run as uid ${uid}`);
  await withDaemon(
    async (d) => {
      const mounts = readFileSync('/proc/mounts', 'utf8');
      t.regex(mounts, new RegExp(`^ipcfs ${dir} fuse\\.ipcfs .*user_id=${uid}`, 'm'), 'mounted for nobody');
      // nobody's mount is nobody's: root sees it only with allow_other; nobody lists it.
      const ls = spawnSync(who.prefix[0]!, [...who.prefix.slice(1), 'ls', join(d.dir, 'semaphores')], { encoding: 'utf8' });
      t.is(ls.status, 0, ls.stderr);
      t.deepEqual(ls.stdout.trim().split('\n').sort(), ['named', 'sysv', 'unnamed']);
    },
    {
      dir,
      prefix: who.prefix,
      cli: who.cli,
      // Without allow_other only nobody may look into nobody's mount (root included).
      ready: (d) => isMountpoint(d) && spawnSync(who.prefix[0]!, [...who.prefix.slice(1), 'stat', join(d, 'semaphores')]).status === 0,
    },
  );
  t.false(isMountpoint(dir));
});
