/**
 * sysvipc/ on a real mount: objects made through the mount are listed with the fields their
 * status files show (key as signed decimal, octal perms, owners, sizes and counts, times as epoch
 * seconds, 0 for never), removed ones vanish (a removed segment still open stays, key 0 and mode
 * 1xxx, as the kernel lists it), the tables and limits are read-only for root and others (EACCES),
 * a user who cannot read an object still sees it listed, and limits/ prints every value as the
 * kernel's /proc/sys files do (a fresh IPC namespace's defaults, byte for byte).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Actor } from '../../helpers/actor.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { command, make, objectFile, status, statusKey, statusSeconds, table, tell } from './mount-objects.js';

const test = mountTest();
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

const tableOf = (dir: string, kind: string) => table(readFileSync(join(dir, 'sysvipc', kind), 'utf8'));
const ids = (rows: string[][]) => rows.map((r) => Number(r[1]));
/** A row's numbers: perms (column 2) is octal, the rest decimal. */
const nums = (row: string[]) => row.map((v, i) => (i === 2 ? parseInt(v, 8) : Number(v)));

test('objects made through the mount are listed with their status files\' fields; removed ones vanish', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sem = make(dir, 'sem', 'semget -7 3 mode=640 creat');
    const sem2 = make(dir, 'sem', 'semget private 1 mode=600');
    tell(objectFile(dir, 'sem', sem2), 'op 0:+1');
    const msg = make(dir, 'msg', 'msgget 0x7fffffff mode=620 creat');
    tell(objectFile(dir, 'msg', msg), Buffer.from('send 3\nhello'));
    tell(objectFile(dir, 'msg', msg), Buffer.concat([Buffer.from('send 9\n'), Buffer.alloc(300, 'x')]));
    tell(objectFile(dir, 'msg', msg), Buffer.from('send 4\nbye'));
    t.regex(command(objectFile(dir, 'msg', msg), 'receive 3'), /hello/);
    const shm = make(dir, 'shm', 'shmget 0xfffffff0 10000 mode=604 creat');
    const seg = openSync(objectFile(dir, 'shm', shm), 'r+'); // attached while open
    try {
      writeSync(seg, 'a', 0);
      writeSync(seg, 'b', 4096);

      const s = tableOf(dir, 'sem');
      t.deepEqual(ids(s.rows), [sem, sem2], 'every set, ascending id');
      for (const [row, id] of [[s.rows[0]!, sem], [s.rows[1]!, sem2]] as const) {
        const st = status(dir, 'sem', id);
        t.deepEqual(nums(row), [
          statusKey(st.key), id, parseInt(st.perms!, 8), Number(st.nsems), Number(st.owner), Number(st.group), Number(st.cuid), Number(st.cgid),
          statusSeconds(st.otime), statusSeconds(st.ctime),
        ]);
      }
      t.is(Number(s.rows[0]![0]), -7, 'a negative key as signed decimal');
      t.is(s.rows[0]![2], '640');
      t.is(Number(s.rows[0]![8]), 0, 'never operated: otime 0');
      t.true(Number(s.rows[1]![8]) > 0, 'operated: otime set');

      const q = tableOf(dir, 'msg');
      t.deepEqual(ids(q.rows), [msg]);
      const qs = status(dir, 'msg', msg);
      t.deepEqual(nums(q.rows[0]!), [
        statusKey(qs.key), msg, parseInt(qs.perms!, 8), Number(qs.cbytes), Number(qs.qnum), Number(qs.lspid), Number(qs.lrpid),
        Number(qs.owner), Number(qs.group), Number(qs.cuid), Number(qs.cgid), statusSeconds(qs.stime), statusSeconds(qs.rtime), statusSeconds(qs.ctime),
      ]);
      t.deepEqual(nums(q.rows[0]!).slice(0, 5), [0x7fffffff, msg, 0o620, 303, 2], 'two messages, 300 + 3 bytes, left');
      t.true(Number(q.rows[0]![5]) > 0 && Number(q.rows[0]![6]) > 0, 'lspid and lrpid');

      const m = tableOf(dir, 'shm');
      t.deepEqual(ids(m.rows), [shm]);
      const ms = status(dir, 'shm', shm);
      t.deepEqual(nums(m.rows[0]!).slice(0, 14), [
        statusKey(ms.key), shm, parseInt(ms.perms!, 8), Number(ms.segsz), Number(ms.cpid), Number(ms.lpid), Number(ms.nattch),
        Number(ms.owner), Number(ms.group), Number(ms.cuid), Number(ms.cgid), statusSeconds(ms.atime), statusSeconds(ms.dtime), statusSeconds(ms.ctime),
      ]);
      t.deepEqual(nums(m.rows[0]!).slice(0, 7), [-16, shm, 0o604, 10000, Number(ms.cpid), Number(ms.lpid), 1]);
      t.deepEqual(m.rows[0]!.slice(14).map(Number), [2 * 4096, 0], 'rss: the two pages written; swap 0');

      unlinkSync(objectFile(dir, 'sem', sem));
      unlinkSync(objectFile(dir, 'msg', msg));
      unlinkSync(objectFile(dir, 'shm', shm));
      t.deepEqual(ids(tableOf(dir, 'sem').rows), [sem2], 'a removed set vanishes');
      t.deepEqual(tableOf(dir, 'msg').rows, [], 'a removed queue vanishes');
      const dest = tableOf(dir, 'shm').rows;
      t.deepEqual(dest.map((r) => r.slice(0, 3)), [['0', String(shm), '1604']], 'removed but attached: key 0, SHM_DEST in the mode (as the kernel lists it)');
    } finally {
      closeSync(seg);
    }
    t.deepEqual(tableOf(dir, 'shm').rows, [], 'gone with its last detach');
  });
});

test('read-only for everyone (EACCES, root too); a user who cannot read an object still sees it listed', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sem = make(dir, 'sem', 'semget 0x1234 2 mode=600 creat');
    const msg = make(dir, 'msg', 'msgget private mode=600');
    const shm = make(dir, 'shm', 'shmget private 4096 mode=600');
    const files = ['sysvipc/sem', 'sysvipc/msg', 'sysvipc/shm', 'limits/shmmax', 'limits/msgmni', 'limits/mqueue/msg_max'];
    for (const f of files) {
      t.is(statSync(join(dir, f)).mode & 0o7777, 0o444, f);
      for (const flags of ['w', 'r+', 'a']) t.throws(() => openSync(join(dir, f), flags), { code: 'EACCES' }, `root ${flags} ${f}`);
    }
    t.is(statSync(join(dir, 'sysvipc')).mode & 0o7777, 0o555);
    const nobody = await Actor.start(NOBODY);
    try {
      for (const f of files) t.deepEqual(await nobody.do('open', join(dir, f), 'w'), { err: 'EACCES' }, `nobody ${f}`);
      t.deepEqual(await nobody.do('open', objectFile(dir, 'sem', sem), 'r'), { err: 'EACCES' }, 'nobody cannot read the set');
      for (const [kind, id] of [['sem', sem], ['msg', msg], ['shm', shm]] as const) {
        const fd = await nobody.ok('open', join(dir, 'sysvipc', kind), 'r');
        const text = (await nobody.ok('read', fd)) as string;
        await nobody.ok('close', fd);
        t.deepEqual(ids(table(text).rows), [id], `nobody sees root's 0600 ${kind} listed`);
      }
    } finally {
      await nobody.stop();
    }
  }, { args: ['--allow-other'] });
});

test('a table read in small reads: the same text; between reads the handle goes on after the last id read (removed rows skipped, new ones after it listed)', async (t) => {
  await withDaemon(async ({ dir }) => {
    const made = Array.from({ length: 12 }, (_, i) => make(dir, 'sem', `semget ${1000 + i} ${1 + i} mode=600 creat`));
    const whole = readFileSync(join(dir, 'sysvipc', 'sem'), 'utf8');
    t.deepEqual(ids(table(whole).rows), made);
    const readAll = (fd: number, size: number, between: (text: string) => void = () => {}): string => {
      const b = Buffer.alloc(size);
      let text = '';
      for (let n; (n = readSync(fd, b, 0, size, null)) > 0; ) {
        text += b.toString('latin1', 0, n);
        between(text);
      }
      return text;
    };
    const fd = openSync(join(dir, 'sysvipc', 'sem'), 'r');
    try {
      t.is(readAll(fd, 37), whole, 'the same bytes in 37-byte reads');
    } finally {
      closeSync(fd);
    }
    const fd2 = openSync(join(dir, 'sysvipc', 'sem'), 'r');
    let added = -1;
    try {
      const text = readAll(fd2, 200, (sofar) => {
        if (added >= 0 || table(sofar).rows.length < 3) return;
        unlinkSync(objectFile(dir, 'sem', made[1]!)); // already read
        unlinkSync(objectFile(dir, 'sem', made[10]!)); // not yet read
        added = make(dir, 'sem', 'semget private 1');
      });
      const listed = ids(table(text).rows);
      t.true(added > made.at(-1)!, 'a new set gets a higher id');
      t.deepEqual(listed, [...made.filter((id) => id !== made[10]), added], 'each id once, ascending; the one removed before its turn skipped; the new one listed');
    } finally {
      closeSync(fd2);
    }
  });
});

const KERNEL = ['shmmax', 'shmall', 'shmmni', 'msgmax', 'msgmnb', 'msgmni'];
const MQUEUE = ['msg_default', 'msg_max', 'msgsize_default', 'msgsize_max', 'queues_max'];

test('limits/: byte for byte the /proc/sys files of a fresh IPC namespace (the kernel\'s defaults are ipcfs\'s)', async (t) => {
  const paths = [...KERNEL.map((f) => `/proc/sys/kernel/${f}`), ...MQUEUE.map((f) => `/proc/sys/fs/mqueue/${f}`)];
  // a new IPC namespace has the defaults whatever the host's sysctls were set to
  const r = spawnSync('unshare', ['-i', 'sh', '-c', 'for f in "$@"; do cat "$f"; echo ---; done', 'sh', ...paths], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const kernel = r.stdout.split('---\n').slice(0, -1);
  await withDaemon(async ({ dir }) => {
    const ours = [...KERNEL.map((f) => join(dir, 'limits', f)), ...MQUEUE.map((f) => join(dir, 'limits', 'mqueue', f))].map((p) => readFileSync(p, 'utf8'));
    t.deepEqual(ours, kernel);
  });
});

test('limits/: the mount\'s own limits, one value and a newline each', async (t) => {
  const set = { shmmax: 123456789, shmall: 5555, shmmni: 77, msgmax: 4096, msgmnb: 8000, msgmni: 66, msg_default: 5, msg_max: 20, msgsize_default: 1024, msgsize_max: 2048, queues_max: 9 };
  await withDaemon(async ({ dir }) => {
    for (const f of KERNEL) t.is(readFileSync(join(dir, 'limits', f), 'utf8'), `${set[f as keyof typeof set]}\n`, f);
    for (const f of MQUEUE) t.is(readFileSync(join(dir, 'limits', 'mqueue', f), 'utf8'), `${set[f as keyof typeof set]}\n`, f);
  }, { args: ['--limits', Object.entries(set).map(([k, v]) => `${k}=${v}`).join(',')] });
});
