/**
 * libipcfs's POSIX semaphores against glibc's: one scenario program (sem-scenario.c: errnos of
 * sem_open/unlink/timedwait/clockwait/post, named-open identity and references, sem_init pshared
 * across fork, sem_post from a signal handler interrupting a wait (EINTR), threads) built both
 * ways; the outputs must be the same. The lines only libipcfs prints are its own EINVAL for a
 * sem_t it did not make (glibc does not check one) and for the name .new (the mount's clone
 * file); both documented.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { builtOnce, LIBIPCFS_BUILD, LIBIPCFS_DIR } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';

const test = mountTest();
const SOURCE = 'test/tools/libipcfs/sem-scenario.c';

function run(argv: string[], env: Record<string, string>): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.status ?? r.signal} ${r.stderr}`);
  return r.stdout;
}

test('POSIX semaphores: libipcfs prints what glibc prints', async (t) => {
  const native = builtOnce(SOURCE, ['-pthread']);
  const ipcfs = builtOnce(SOURCE, ['-DUSE_IPCFS', '-I', LIBIPCFS_DIR, '-L', LIBIPCFS_BUILD, '-Wl,-rpath,' + LIBIPCFS_BUILD, '-lipcfs', '-pthread']);
  const prefix = `ipcfs-sem-scenario-${process.pid}`;
  const expected = run(['unshare', '--ipc', native], { PREFIX: prefix });
  await withDaemon(async (d) => {
    const got = run([ipcfs], { PREFIX: prefix, IPCFS_MOUNT: d.dir });
    const own = got.split('\n').filter((l) => l.startsWith('ipcfs-only'));
    t.is(got.split('\n').filter((l) => !l.startsWith('ipcfs-only')).join('\n'), expected);
    t.deepEqual(own, [
      'ipcfs-only post zeroed sem_t: EINVAL',
      'ipcfs-only post destroyed: EINVAL',
      'ipcfs-only close unnamed: EINVAL',
      'ipcfs-only open /.new: EINVAL',
    ]);
    t.deepEqual(readdirSync(join(d.dir, 'semaphores', 'named')).filter((n) => n !== '.new'), [], 'every named semaphore unlinked');
    t.deepEqual(readdirSync(join(d.dir, 'semaphores', 'unnamed')).filter((n) => n !== '.new'), [], 'unnamed semaphores destroyed, or gone with the process (transient)');
  });
});
