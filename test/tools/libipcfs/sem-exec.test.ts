/**
 * Robust units across execve: with the hook the interposer's exec wrappers call
 * (ipcfs__sem_keep_across_exec), a unit taken with sem_wait_robust stays held by the exec'd
 * program and comes back when it is killed; without it (a program linked with libipcfs, no
 * interposer) the handle is close-on-exec and the unit comes back at the exec. The same for a
 * System V SEM_UNDO adjustment (ipcfs__sysv_sem_keep_across_exec).
 */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { builtOnce, LIBIPCFS_BUILD, LIBIPCFS_DIR } from '../../helpers/c-helper.js';
import { eventually, mountTest, printed, sh, withDaemon } from '../../helpers/mount.js';

const test = mountTest();
const program = () => builtOnce('test/tools/libipcfs/sem-exec.c', ['-I', LIBIPCFS_DIR, join(LIBIPCFS_BUILD, 'libipcfs.a'), '-pthread']);
const status = (dir: string, name: string) => readFileSync(join(dir, 'semaphores', 'named', name), 'utf8');
const execd = (pid: number) => eventually(() => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep');

test('kept across exec: the exec\'d program holds the unit until it is killed', async (t) => {
  await withDaemon(async (d) => {
    writeFileSync(join(d.dir, 'semaphores', 'named', '.new'), 'create keep value=1');
    const c = sh(`IPCFS_MOUNT=${d.dir} exec ${program()} /keep keep`);
    const pid = Number((await printed(c, /exec (\d+)/))![1]);
    t.true(await execd(pid));
    t.regex(status(d.dir, 'keep'), /^value: 0$/m);
    t.regex(status(d.dir, 'keep'), new RegExp(`^undo: pid=${pid} comm=\\S+ sem=0 adj=1$`, 'm'));
    process.kill(pid, 'SIGKILL');
    t.true(await eventually(() => /^value: 1$/m.test(status(d.dir, 'keep'))), status(d.dir, 'keep'));
    await c.done;
  });
});

test('without the hook the handle is close-on-exec: the unit comes back at exec', async (t) => {
  await withDaemon(async (d) => {
    writeFileSync(join(d.dir, 'semaphores', 'named', '.new'), 'create plain value=1');
    const c = sh(`IPCFS_MOUNT=${d.dir} exec ${program()} /plain plain`);
    const pid = Number((await printed(c, /exec (\d+)/))![1]);
    t.true(await execd(pid));
    t.true(await eventually(() => /^value: 1$/m.test(status(d.dir, 'plain'))), status(d.dir, 'plain'));
    t.notRegex(status(d.dir, 'plain'), /^undo:/m);
    process.kill(pid, 'SIGKILL');
    await c.done;
  });
});

test('SEM_UNDO kept across exec: the exec\'d program holds the adjustment until it is killed', async (t) => {
  await withDaemon(async (d) => {
    const sysv = join(d.dir, 'semaphores', 'sysv');
    const fd = openSync(join(sysv, '.new'), 'r+');
    writeSync(fd, 'semget private 1 creat mode=600');
    const id = readFileSync(fd, 'utf8').trim();
    closeSync(fd);
    writeFileSync(join(sysv, id), 'set 1');
    const c = sh(`IPCFS_MOUNT=${d.dir} exec ${program()} ${id} sysv-keep`);
    const pid = Number((await printed(c, /exec (\d+)/))![1]);
    t.true(await execd(pid));
    const text = () => readFileSync(join(sysv, id), 'utf8');
    t.regex(text(), /^value: 0$/m);
    t.regex(text(), new RegExp(`^undo: pid=${pid} comm=\\S+ sem=0 adj=1$`, 'm'));
    process.kill(pid, 'SIGKILL');
    t.true(await eventually(() => /^value: 1$/m.test(text())), text());
    await c.done;
  });
});
