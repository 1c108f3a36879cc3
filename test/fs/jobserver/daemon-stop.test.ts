/**
 * A daemon told to stop (SIGTERM) exits once its mount is gone, even while processes it watches
 * through pidfds (a pool's idle holders: they took a token, gave it back, and run on) are alive:
 * an exit watch never keeps the daemon's event loop alive (native/ipcfs_native.c, exitWatch).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { mountTest, sleep, startDaemon, stopDaemon } from '../../helpers/mount.js';

const test = mountTest();

test('SIGTERM: the daemon exits at once while an idle holder of a pool runs on', async (t) => {
  const d = await startDaemon();
  let holder: ReturnType<typeof spawn> | null = null;
  try {
    const fd = openSync(join(d.dir, 'jobserver', 'named', '.new'), 'r+');
    writeSync(fd, 'create p size=1');
    readSync(fd, Buffer.alloc(64), 0, 64, null);
    closeSync(fd);
    const pool = join(d.dir, 'jobserver', 'named', 'p');
    // takes the token (the daemon starts watching it), gives it back, closes the pool, runs on
    // bash's read builtin: the shell itself is the holder (a dd would be a child that dies)
    holder = spawn('bash', ['-c', 'exec 3<>"$1"; read -r -n 1 -u 3 x; printf %s "$x" >&3; exec 3>&-; echo idle; exec sleep 60', 'holder', pool], { stdio: ['ignore', 'pipe', 'inherit'] });
    const idle = await new Promise<boolean>((resolve) => {
      holder!.stdout!.on('data', (b: Buffer) => b.toString().includes('idle') && resolve(true));
      holder!.on('exit', () => resolve(false));
    });
    t.true(idle, 'the holder took and gave back its token');
    d.child.kill('SIGTERM');
    const code = await Promise.race([d.exited, sleep(4000).then(() => 'still running' as const)]);
    t.not(code, 'still running', 'the daemon exited within 4 s of SIGTERM (it waited for the holder before)');
  } finally {
    holder?.kill('SIGKILL');
    await stopDaemon(d);
  }
});
