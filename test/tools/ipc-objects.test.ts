/**
 * tools/ipc-objects.ts over a real mount: objects made through the mount (the `ipcfs sem|mq|shm
 * create` tools and the `.new` files), changed by processes whose pids the test knows, come back
 * from listSysv / sysvDetail / listPosix with the fields they were made with.
 */
import { closeSync, openSync, constants } from 'node:fs';
import { join } from 'node:path';
import { ipcfsTool } from '../helpers/cli.js';
import { mountTest, printed, sh, withDaemon } from '../helpers/mount.js';
import { cloneCreate } from '../../tools/cli-io.js';
import { listPosix, listSysv, sysvDetail } from '../../tools/ipc-objects.js';

const test = mountTest();

/** `sh -c 'echo $$; CMD'`: the shell's pid, once CMD (builtins only: the shell itself writes) ran. */
async function writerPid(cmd: string): Promise<number> {
  const c = sh(`echo $$; ${cmd}`);
  const r = await c.done;
  if (r.code !== 0) throw new Error(`${cmd}: ${r.err}`);
  return Number(r.out.split('\n')[0]);
}

test('System V: every kind comes back with its key, mode, owner, sizes, counts, pids and times', async (t) => {
  await withDaemon(async ({ dir }) => {
    const before = Math.floor(Date.now() / 1000);
    const semid = Number(cloneCreate(join(dir, 'semaphores/sysv/.new'), 'semget 0x162e 3 creat mode=0640'));
    const semFile = join(dir, 'semaphores/sysv', String(semid));
    const setter = await writerPid(`printf 'setall 1 2 3\\n' > ${semFile}; printf 'op 1:4\\n' > ${semFile}`);
    const msqid = Number(cloneCreate(join(dir, 'mqueue/sysv/.new'), 'msgget 0x80000001 mode=0604 creat'));
    const msgFile = join(dir, 'mqueue/sysv', String(msqid));
    const sender = await writerPid(`printf 'send 1\\nhello' > ${msgFile}; printf 'send 2\\nab' > ${msgFile}`);
    const made = await ipcfsTool('shm', dir, ['create', 'sysv', '--key', '0x55', '--size', '5000', '--mode', '640']);
    t.is(made.code, 0, made.err);
    const shmid = Number(made.out.toString().trim().replace('sysv/', ''));

    const [sem] = listSysv(dir, 'sem');
    t.like(sem, { kind: 'sem', id: semid, key: 0x162e, perms: 0o640, uid: 0, gid: 0, cuid: 0, cgid: 0, nsems: 3 });
    t.deepEqual(sem!.sems, [
      { value: 1, ncount: 0, zcount: 0, pid: setter },
      { value: 6, ncount: 0, zcount: 0, pid: setter },
      { value: 3, ncount: 0, zcount: 0, pid: setter },
    ]);
    t.true(sem!.otime >= before && sem!.ctime >= before, 'times in epoch seconds');

    const [msg] = listSysv(dir, 'msg');
    t.like(msg, { kind: 'msg', id: msqid, key: -2147483647, perms: 0o604, cbytes: 7, qnum: 2, qbytes: 16384, lspid: sender, lrpid: 0, rtime: 0 });
    t.true(msg!.stime >= before);

    const [shm] = listSysv(dir, 'shm');
    t.like(shm, { kind: 'shm', id: shmid, key: 0x55, perms: 0o640, size: 5000, nattch: 0, lpid: 0, atime: 0, dtime: 0, dest: false, locked: false });
    t.true(shm!.cpid > 0);

    // attached (an open file) and removed: listed as dest with a private key until the last detach
    const fd = openSync(join(dir, 'shared-memory/sysv', String(shmid)), constants.O_RDWR);
    try {
      t.like(sysvDetail(dir, 'shm', shmid), { nattch: 1, lpid: process.pid });
      t.is((await ipcfsTool('shm', dir, ['rm', `sysv/${shmid}`])).code, 0);
      t.like(listSysv(dir, 'shm')[0], { id: shmid, key: 0, dest: true, nattch: 1 });
    } finally {
      closeSync(fd);
    }
    t.deepEqual(listSysv(dir, 'shm'), [], 'gone at the last detach');
    t.is(sysvDetail(dir, 'sem', semid + 1000), null, 'no such id: null');
    t.is(sysvDetail(dir, 'msg', -1), null);
  });
});

test('System V semaphores: ncount, zcount and undo holders per semaphore', async (t) => {
  await withDaemon(async ({ dir }) => {
    const semid = Number(cloneCreate(join(dir, 'semaphores/sysv/.new'), 'semget private 2 mode=0600'));
    const file = join(dir, 'semaphores/sysv', String(semid));
    // SETALL (the pid of every semaphore), then holds one unit of semaphore 0 with undo, then waits for zero on semaphore 1 after raising it
    const holder = sh(`exec 3<> ${file}; printf 'setall 1 1\\n' >&3; printf 'op 0:-1:undo\\n' >&3; echo held $$; exec 4<> ${file}; printf 'op 1:0\\n' >&4`);
    t.teardown(() => holder.child.kill('SIGKILL'));
    const m = await printed(holder, /held (\d+)/);
    t.truthy(m, 'the holder took its unit');
    const pid = Number(m![1]);
    let d = sysvDetail(dir, 'sem', semid);
    for (let i = 0; i < 200 && d?.sems[1]?.zcount !== 1; i++) {
      await new Promise((r) => setTimeout(r, 10));
      d = sysvDetail(dir, 'sem', semid);
    }
    t.deepEqual(d!.sems, [
      { value: 0, ncount: 0, zcount: 0, pid },
      { value: 1, ncount: 0, zcount: 1, pid },
    ]);
    t.deepEqual(d!.undo, [{ pid, comm: 'sh', sem: 0, adj: 1 }]);
  });
});

test('POSIX: named semaphores, queues and shared memory, subdirectories included, sorted by name', async (t) => {
  await withDaemon(async ({ dir }) => {
    const before = Math.floor(Date.now() / 1000);
    for (const args of [
      ['create', '/jobs', '--value', '4', '--mode', '640'],
      ['create', '/app/b', '--value', '0'],
    ]) {
      const r = await ipcfsTool('sem', dir, args);
      t.is(r.code, 0, r.err);
    }
    t.is(cloneCreate(join(dir, 'mqueue/named/.new'), 'create q maxmsg=5 msgsize=100 mode=0604'), '/q');
    const q = join(dir, 'mqueue/named/q');
    await writerPid(`printf 'send prio=3\\nseven b' > ${q}`);
    const shm = await ipcfsTool('shm', dir, ['create', '/seg', '--size', '100', '--mode', '644']);
    t.is(shm.code, 0, shm.err);

    const sems = listPosix(dir, 'sem');
    t.deepEqual(
      sems.map((s) => s.name),
      ['/app/b', '/jobs'],
    );
    t.like(sems[1], { kind: 'sem', perms: 0o640, uid: 0, gid: 0, value: 4, ncount: 0, zcount: 0, otime: 0 });
    t.true(sems[1]!.mtime >= before);
    const [mq] = listPosix(dir, 'mq');
    t.like(mq, { kind: 'mq', name: '/q', perms: 0o604, messages: 1, bytes: 7, maxmsg: 5, msgsize: 100, unlinked: false });
    t.deepEqual(mq!.senders, []);
    t.true(mq!.mtime >= before);
    const [seg] = listPosix(dir, 'shm');
    t.like(seg, { kind: 'shm', name: '/seg', perms: 0o644, size: 100, opens: 0, unlinked: false });
  });
});
