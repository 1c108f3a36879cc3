/**
 * libipcfs's System V semaphores against the kernel's: one scenario program
 * (sysv-sem-scenario.c: semget/semop/semtimedop/semctl errnos and values, EINTR and EIDRM of a
 * blocked semop, GETNCNT/GETZCNT, IPC_STAT/IPC_SET, and SEM_UNDO's per-process meaning across
 * fork, exit and SIGKILL) built both ways; the native one runs in a private IPC namespace. The
 * outputs must be the same.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { builtOnce, LIBIPCFS_BUILD, LIBIPCFS_DIR } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';

const test = mountTest();
const SOURCE = 'test/tools/libipcfs/sysv-sem-scenario.c';

function run(argv: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.status ?? r.signal} ${r.stderr}`);
  return r.stdout;
}

test('System V semaphores: libipcfs prints what the kernel prints', async (t) => {
  const native = builtOnce(SOURCE);
  const ipcfs = builtOnce(SOURCE, ['-DUSE_IPCFS', '-I', LIBIPCFS_DIR, '-L', LIBIPCFS_BUILD, '-Wl,-rpath,' + LIBIPCFS_BUILD, '-lipcfs', '-pthread']);
  const expected = run(['unshare', '--ipc', native]);
  t.regex(expected, /after a child's \+1 undo and exit, its own child alive: 2/);
  await withDaemon(async (d) => {
    t.is(run([ipcfs], { IPCFS_MOUNT: d.dir }), expected);
    t.deepEqual(readdirSync(join(d.dir, 'semaphores', 'sysv')).filter((n) => n !== '.new' && n !== 'by-key'), [], 'both sets removed');
  });
});
