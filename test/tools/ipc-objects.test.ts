/**
 * tools/ipc-objects.ts over a real mount: objects made through the mount (the `ipcfs sem|mq|shm
 * create` tools and the `.new` files), changed by processes whose pids the test knows, come back
 * from listSysv / sysvDetail / listPosix with the fields they were made with; parseSysvTable reads
 * the kernel's /proc/sysvipc tables of twin objects (test/tools/ipcs-twin.c) as the same records.
 */
import { closeSync, openSync, constants } from 'node:fs';
import { join } from 'node:path';
import { ipcfsTool } from '../helpers/cli.js';
import { PACKAGE_ROOT, mountTest, printed, sh, withDaemon } from '../helpers/mount.js';
import { cloneCreate } from '../../tools/cli-io.js';
import { listPosix, listSysv, parseSysvTable, readSysvTable, sysvDetail, type SysvRecord } from '../../tools/ipc-objects.js';
import { runTwin, twinIds } from '../helpers/ipcs-twin.js';

const test = mountTest();

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

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

test('parseSysvTable reads the kernel\'s /proc/sysvipc tables: the same records as the status files of twin objects on the mount', async (t) => {
  await withDaemon(async ({ dir }) => {
    // the mount is read while the twin holds its attachments: by a reader run in its script
    const reader = `import * as o from ${JSON.stringify(join(PACKAGE_ROOT, 'dist/tools/ipc-objects.js'))}; const m = ${JSON.stringify(dir)};
      console.log('@@mount ' + JSON.stringify(['sem', 'msg', 'shm'].map((k) => [o.listSysv(m, k), o.listSysvBrief(m, k)])));`;
    const script = `for k in sem msg shm; do echo "@@table $k"; cat /proc/sysvipc/$k; done; ${quote(process.execPath)} --input-type=module -e ${quote(reader)}`;
    const out = await runTwin(dir, script, [
      'sem:0x7e57:640:1,2,3:-1:-1',
      'sem:0:600:5:-1:-1',
      'msg:0x80000001:604:5,10:1',
      'shm:0x55:640:5000:1',
      'shm:0x99:600:1536:2',
      'shm:0:600:100:0',
    ]);
    const ids = twinIds(out);
    const mount = JSON.parse(/^@@mount (.*)$/m.exec(out)![1]!) as [SysvRecord[], SysvRecord[]][];
    const tables = new Map([...out.matchAll(/^@@table (\w+)\n([^@]*)/gm)].map((m) => [m[1]!, m[2]!]));
    // what both sides must agree on: all but the ids' numbering, the times, qbytes (not in the table) and the raw fields
    const comparable = (r: SysvRecord): Record<string, unknown> => {
      const { fields: _f, ctime: _c, id, ...rest } = r as SysvRecord & Record<string, unknown>;
      for (const k of ['otime', 'stime', 'rtime', 'atime', 'dtime', 'qbytes', 'sems', 'undo', 'senders', 'receivers', 'held', 'heldBytes', 'removed', 'served']) delete rest[k];
      return { ...rest, id: ids.get(String(id)) ?? String(id) };
    };
    (['sem', 'msg', 'shm'] as const).forEach((kind, i) => {
      const kernel = parseSysvTable(kind, tables.get(kind)!).map((r) => ({ ...comparable(r), id: String(r.id) }));
      t.true(kernel.length > 0, `${kind}: the kernel lists the twins`);
      t.deepEqual(mount[i]![0].map(comparable), kernel, kind);
      t.deepEqual(mount[i]![1].map(comparable), kernel, `${kind} (brief)`);
    });
    t.true(readSysvTable(dir, 'sem') === null || Array.isArray(readSysvTable(dir, 'sem')), 'the mount has a table or none');
    const shm = parseSysvTable('shm', tables.get('shm')!);
    t.deepEqual(
      shm.map((s) => [s.key, s.dest, s.nattch]),
      [
        [0x55, false, 1],
        [0, true, 1],
        [0, false, 0],
      ],
      'SHM_DEST from the mode bits; the removed segment\'s key is private',
    );
    t.deepEqual(parseSysvTable('msg', 'garbage\n1 2 3\n'), [], 'rows that do not parse are skipped');
  });
});

test('objects removed while a listing reads them are skipped, never an error', async (t) => {
  await withDaemon(async ({ dir }) => {
    const made = new Set<number>();
    for (let i = 0; i < 150; i++) {
      made.add(Number(cloneCreate(join(dir, 'semaphores/sysv/.new'), 'semget private 1 mode=0600')));
      made.add(Number(cloneCreate(join(dir, 'mqueue/sysv/.new'), 'msgget private mode=0600')));
    }
    // a remover of every object, running while the listings read
    const remover = sh(`echo go; cd ${dir}; for f in semaphores/sysv/[0-9]* mqueue/sysv/[0-9]*; do rm "$f"; done; echo done`);
    t.truthy(await printed(remover, /go/));
    let lists = 0;
    let seen = 0;
    while (!/done/.test(remover.out())) {
      for (const kind of ['sem', 'msg'] as const) {
        const ids = listSysv(dir, kind).map((r) => r.id);
        t.true(ids.every((id) => made.has(id)));
        seen += ids.length;
        lists++;
      }
      await new Promise((r) => setImmediate(r));
    }
    t.is((await remover.done).code, 0);
    t.log(`${lists} listings while removing, ${seen} objects read`);
    t.deepEqual(listSysv(dir, 'sem'), []);
    t.deepEqual(listSysv(dir, 'msg'), []);
  });
});
