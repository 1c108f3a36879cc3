/**
 * Another user's semaphores through libipcfs: nobody opening, creating over, unlinking root's
 * 0600 named semaphore, and semget/semop/semctl on root's 0600 set, get what glibc and the kernel
 * give (EACCES; EPERM for IPC_RMID). The same program (sem-access.c) runs both ways; the native
 * one in a private IPC namespace. Linked statically with libipcfs.a, so that nobody needs to read
 * nothing of the checkout.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { builtOnce, LIBIPCFS_BUILD, LIBIPCFS_DIR } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';

const test = mountTest();
const SOURCE = 'test/tools/libipcfs/sem-access.c';
const AS_NOBODY = 'setpriv --reuid=nobody --regid=nogroup --clear-groups --';

function script(bin: string, name: string, key: string): string {
  return `${bin} create ${name} ${key} && ${AS_NOBODY} ${bin} try ${name} ${key} && ${bin} remove ${name} ${key}`;
}

function run(argv: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.status ?? r.signal} ${r.stderr}`);
  return r.stdout;
}

test("another user's semaphores: libipcfs refuses as glibc and the kernel do", async (t) => {
  if (spawnSync('id', ['-u', 'nobody']).status !== 0) return t.pass('no user nobody');
  const native = builtOnce(SOURCE);
  const ipcfs = builtOnce(SOURCE, ['-DUSE_IPCFS', '-I', LIBIPCFS_DIR, join(LIBIPCFS_BUILD, 'libipcfs.a'), '-pthread']);
  const name = `/ipcfs-sem-access-${process.pid}`;
  const expected = run(['unshare', '--ipc', 'sh', '-c', script(native, name, '0x5e3a0101')]);
  t.regex(expected, /^open: EACCES$/m);
  await withDaemon(
    async (d) => {
      t.is(run(['sh', '-c', script(ipcfs, name, '0x5e3a0101')], { IPCFS_MOUNT: d.dir }), expected);
    },
    { args: ['--allow-other'] },
  );
});
