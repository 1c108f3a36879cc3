/**
 * Permissions hold on every path, as another user, whether or not the kernel checks mode bits
 * first (default_permissions) or only the daemon does (--no-default-permissions): creating (open
 * O_CREAT, mknod, mkdir, `.new` with its parent directories), removing (directory write permission
 * and the sticky bit), opening and reading an object, looking up in a directory, ACCESS, and
 * supplementary groups. Each refusal is the kernel's errno, and nothing changes.
 */
import { chownSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { mountTest, withDaemon } from '../helpers/mount.js';
import { NOBODY, probe, probeOne } from '../helpers/errno-probe.js';

const test = mountTest();

/** nobody, with supplementary group 4242 */
const NOBODY_IN_4242 = ['setpriv', '--reuid=65534', '--regid=65534', '--groups=4242', '--'];

function clone(file: string, cmd: string): string {
  const r = probeOne(`clone(${JSON.stringify(file)}, ${JSON.stringify(cmd)})`);
  if (typeof r !== 'string' || /^E[A-Z]+$/.test(r)) throw new Error(`${cmd}: ${String(r)}`);
  return r;
}

const value = (file: string): string => /^value: (.*)$/m.exec(readFileSync(file, 'utf8'))?.[1] ?? '';

async function strangerIsRefused(t: ExecutionContext, args: string[]): Promise<void> {
  await withDaemon(async ({ dir }) => {
    const named = join(dir, 'semaphores', 'named');
    const q = (s: string): string => JSON.stringify(join(named, s));
    // root's things: a 0755 directory with a 0600 semaphore, a 0700 directory, an empty directory
    // in the sticky named/, a semaphore for group 4242 only
    clone(join(named, '.new'), 'create rootdir/s value=1 mode=0600');
    mkdirSync(join(named, 'locked'), { mode: 0o700 });
    clone(join(named, '.new'), 'create locked/t value=1 mode=0666');
    clone(join(named, '.new'), 'create locked/sub/u value=1 mode=0666'); // sub/ is 0755 inside the 0700 locked/
    mkdirSync(join(named, 'emptyroot'), { mode: 0o755 });
    clone(join(named, '.new'), 'create grp value=1 mode=0660');
    chownSync(join(named, 'grp'), 0, 4242);
    // root's walks leave dentries for locked/ and locked/sub/ in the kernel's cache
    statSync(join(named, 'locked', 't'));
    statSync(join(named, 'locked', 'sub', 'u'));

    const results = probe([
      `clone(${q('.new')}, 'create rootdir/evil value=9')`,
      `clone(${q('.new')}, 'create rootdir/sub/evil value=9')`,
      `os.open(p(${q('rootdir/x')}), os.O_CREAT | os.O_WRONLY, 0o644)`,
      `os.mkdir(p(${q('rootdir/d')}))`,
      `os.mknod(p(${q('rootdir/n')}), 0o100600)`,
      `os.unlink(p(${q('rootdir/s')}))`,
      `os.rmdir(p(${q('emptyroot')}))`,
      `rd(${q('rootdir/s')})`,
      `os.open(p(${q('rootdir/s')}), os.O_WRONLY)`,
      `os.access(p(${q('rootdir/s')}), os.R_OK)`,
      `os.stat(p(${q('locked/t')}))`,
      `os.stat(p(${q('locked/sub/u')}))`,
      `os.listdir(p(${q('locked')}))`,
      `os.open(p(${q('grp')}), os.O_RDWR)`,
      `os.access(p(${q('grp')}), os.W_OK)`,
      `os.utime(p(${q('rootdir/s')}))`,
      `os.chmod(p(${q('rootdir/s')}), 0o666)`,
      `os.chown(p(${q('rootdir/s')}), 65534, 65534)`,
    ], NOBODY);
    t.deepEqual(results, [
      'EACCES', // .new in root's 0755 directory
      'EACCES', // .new making a directory there
      'EACCES', // open(O_CREAT)
      'EACCES', // mkdir
      'EACCES', // mknod
      'EACCES', // unlink: no write permission on the directory
      'EPERM', // rmdir of root's directory in the sticky named/
      'EACCES', // status of root's 0600 semaphore
      'EACCES', // open for alter
      false, // access(R_OK)
      'EACCES', // lookup in root's 0700 directory
      'EACCES', // and below it, even through a directory root's walk just cached
      'EACCES', // listing it
      'EACCES', // the group's semaphore, not in the group
      false, // access(W_OK) likewise
      'EACCES', // touch: neither owner nor allowed to alter
      'EPERM', // chmod: not the owner
      'EPERM', // chown
    ]);
    t.deepEqual(probe([`os.open(p(${q('grp')}), os.O_RDWR)`, `os.access(p(${q('grp')}), os.R_OK | os.W_OK)`], NOBODY_IN_4242), ['ok', true],
      'a supplementary group grants the group class');
    // nothing changed
    t.deepEqual(readdirSync(join(named, 'rootdir')), ['s']);
    t.deepEqual(readdirSync(named).sort(), ['emptyroot', 'grp', 'locked', 'rootdir']);
    t.is(value(join(named, 'rootdir', 's')), '1');
    t.is(statSync(join(named, 'rootdir', 's')).mode & 0o777, 0o600);
    t.is(statSync(join(named, 'rootdir', 's')).uid, 0);
  }, { args });
}

test('a stranger cannot create, remove, open or look up in root\'s directories (default_permissions)', async (t) => {
  await strangerIsRefused(t, ['--allow-other']);
});

test('the daemon itself refuses the same when the kernel does not check (--no-default-permissions)', async (t) => {
  await strangerIsRefused(t, ['--allow-other', '--no-default-permissions']);
});

test('--no-default-permissions: the creator keeps the owner class (ipcperms); others need the mode bits', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sysv = join(dir, 'semaphores', 'sysv');
    const id = probeOne(`clone(${JSON.stringify(join(sysv, '.new'))}, 'semget private 1 mode=0600')`, NOBODY) as string;
    t.regex(id, /^\d+$/);
    const f = join(sysv, id);
    t.is(probeOne(`wr(${JSON.stringify(f)}, 'ipc_set uid=0 gid=0')`), 'ok');
    t.is(statSync(f).uid, 0);
    t.deepEqual(probe([`rd(${JSON.stringify(f)}).splitlines()[0]`, `wr(${JSON.stringify(f)}, 'op 0:1')`], NOBODY), [`semid: ${id}`, 'ok'],
      'the creator still reads and alters');
    t.deepEqual(probe([`rd(${JSON.stringify(f)})`, `os.access(p(${JSON.stringify(f)}), os.R_OK)`], ['setpriv', '--reuid=1234', '--regid=1234', '--clear-groups', '--']),
      ['EACCES', false], 'anyone else is refused');
    t.is(value(f), '1');
  }, { args: ['--allow-other', '--no-default-permissions'] });
});

test('without --allow-other no other user can use the mount at all (the kernel refuses)', async (t) => {
  await withDaemon(async ({ dir }) => {
    t.deepEqual(probe([`os.stat(p(${JSON.stringify(join(dir, 'semaphores'))})) and None`], NOBODY), ['EACCES']);
    t.true(statSync(join(dir, 'semaphores')).isDirectory(), 'the mounting user is served');
  });
});
