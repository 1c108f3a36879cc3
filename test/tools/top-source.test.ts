/**
 * `ipcfs top`'s reading of a live mount: every kind becomes a row with its value, waiters and
 * holders (undo holders, held messages, pool token holders, each with the pid and command of a
 * process this test started), ops/s between two real readings, and the frames printed when stdout
 * is not a terminal.
 */
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { opsBetween, type TopRow } from '../../tools/top-model.js';
import { readMount } from '../../tools/top-source.js';
import { ipcfsTool, text } from '../helpers/cli.js';
import { mountTest, printed, sh, sleepsIn, withDaemon, type ShellChild } from '../helpers/mount.js';

const mtest = mountTest();

/** Writes one line to a .new clone file and reads its answer. */
function create(dir: string, line: string): string {
  const fd = openSync(join(dir, '.new'), 'r+');
  try {
    writeSync(fd, `${line}\n`);
    const buf = Buffer.alloc(256);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, null)).toString().trim();
  } finally {
    closeSync(fd);
  }
}

function command(path: string, line: string): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, line);
  } finally {
    closeSync(fd);
  }
}

/** A shell of ours that holds something and says `ready` (the handshake); killed by pid at the end. */
async function holding(t: ExecutionContext, script: string): Promise<ShellChild> {
  const c = sh(`${script}; echo ready; exec sleep 60`);
  void c.done;
  t.teardown(() => {
    if (c.child.exitCode === null) c.child.kill('SIGKILL');
  });
  t.truthy(await printed(c, /ready/), 'the holder is ready');
  return c;
}

const find = (rows: readonly TopRow[], kind: string, id: string): TopRow => {
  const r = rows.find((x) => x.kind === kind && x.id === id);
  if (!r) throw new Error(`no ${kind} ${id} in ${rows.map((x) => `${x.kind} ${x.id}`).join(', ')}`);
  return r;
};

mtest('every kind is a row: value, waiters, and holders with their pid and command', async (t) => {
  await withDaemon(async (d) => {
    const m = d.dir;
    const semid = create(join(m, 'semaphores', 'sysv'), 'semget 0x7e57 2 creat mode=0640');
    command(join(m, 'semaphores', 'sysv', semid), 'setall 3 0');
    const msqid = create(join(m, 'mqueue', 'sysv'), 'msgget private creat mode=0600');
    command(join(m, 'mqueue', 'sysv', msqid), 'send 7\nhello');
    command(join(m, 'mqueue', 'sysv', msqid), 'send 7\nworld!');
    const shmid = create(join(m, 'shared-memory', 'sysv'), 'shmget private 4096 creat mode=0600');
    create(join(m, 'semaphores', 'named'), 'create app/lock value=1');
    create(join(m, 'mqueue', 'named'), 'create jobs');
    create(join(m, 'shared-memory', 'named'), 'create frame size=200000');
    create(join(m, 'jobserver', 'named'), 'create build size=4');
    const unnamed = create(join(m, 'semaphores', 'unnamed'), 'create value=2 mode=0644');

    // an undo holder, a message held by a robust receive, a pool token holder, a waiter
    const undo = await holding(t, `exec 3<>${m}/semaphores/sysv/${semid}; echo 'wait undo' >&3`);
    const held = await holding(t, `exec 3<>${m}/mqueue/sysv/${msqid}; echo 'receive undo' >&3; cat <&3 >/dev/null`);
    // bash reads one byte at a time from a pipe-like file: one token
    const pool = await holding(t, `exec 3<>${m}/jobserver/named/build; exec bash -c 'read -r -n 1 -u 3 x; echo ready; exec sleep 60'`);
    const waiter = sh(`echo 'op 1:-1' > ${m}/semaphores/sysv/${semid}`);
    t.teardown(() => void (waiter.child.exitCode === null && waiter.child.kill('SIGKILL')));
    t.true(await sleepsIn(waiter.child.pid!, /fuse|request_wait/), 'the waiter sleeps in its write');

    const { rows } = readMount(m);
    const sem = find(rows, 'sem', semid);
    t.like(sem, { key: 0x7e57, owner: 'root', perms: 0o640, value: '2 0', waiters: 1 });
    t.deepEqual(sem.holders, [{ pid: undo.child.pid, comm: 'sh', what: 'undo sem 0 +1' }]);
    t.deepEqual(sem.activity.levels, [2, 0]);

    const msg = find(rows, 'msg', msqid);
    t.like(msg, { key: 0, value: '1 msg 6 B', waiters: 0 });
    t.is(msg.holders.length, 1);
    t.like(msg.holders[0], { pid: held.child.pid, comm: 'sh' });
    t.regex(msg.holders[0]!.what, /^held msg \d+ 5 B$/);

    t.like(find(rows, 'shm', shmid), { value: '4096 B att 0', holders: [] });
    t.like(find(rows, 'psem', '/app/lock'), { key: null, value: '1' });
    t.like(find(rows, 'psem', unnamed), { key: null, perms: 0o644, value: '2' });
    t.like(find(rows, 'pmq', '/jobs'), { value: '0/10 msg 0 B' });
    t.like(find(rows, 'pshm', '/frame'), { value: '195 KiB open 0' });
    const p = find(rows, 'pool', '/build');
    t.like(p, { value: '3/4 free', waiters: 0 });
    t.is(p.holders.length, 1);
    // the holder as it is now: the bash that read the token has since exec'd sleep
    t.like(p.holders[0], { pid: pool.child.pid, comm: readFileSync(`/proc/${pool.child.pid}/comm`, 'utf8').trim() });
    t.is(p.holders[0]!.what, '1 token  sleep 60');
    // ended before the daemon is stopped (it waits for processes that held tokens to end)
    for (const c of [undo, held, pool, waiter]) {
      c.child.kill('SIGKILL');
      await c.done;
    }
  });
});

mtest('ops/s: two real readings count what happened between them', async (t) => {
  await withDaemon(async (d) => {
    const m = d.dir;
    const semid = create(join(m, 'semaphores', 'sysv'), 'semget private 1 creat mode=0600');
    create(join(m, 'jobserver', 'named'), 'create p size=4');
    const before = readMount(m);
    for (let i = 0; i < 3; i++) command(join(m, 'semaphores', 'sysv', semid), 'post');
    // a process takes 2 tokens (bash reads one byte at a time) and gives them back: 4 operations,
    // counted exactly. (A child, not this process: a daemon keeps watching a process that held
    // tokens, and on SIGTERM waits for it to end: see the report of issue 9's top.)
    const taker = await sh(`exec 3<>${m}/jobserver/named/p; exec bash -c 'read -r -n 2 -u 3 x; printf %s "$x" >&3'`).done;
    t.is(taker.code, 0, taker.err);
    const after = readMount(m);
    const ops = (kind: string, id: string): number => opsBetween(find(before.rows, kind, id).activity, find(after.rows, kind, id).activity);
    t.is(ops('sem', semid), 3);
    t.is(ops('pool', '/p'), 4);
    t.true(after.at > before.at);
  });
});

mtest('without a terminal, frames are printed one after another (-n frames, -k kinds)', async (t) => {
  await withDaemon(async (d) => {
    const m = d.dir;
    const semid = create(join(m, 'semaphores', 'sysv'), 'semget private 1 creat mode=0600');
    create(join(m, 'jobserver', 'named'), 'create p size=2');
    const r = await ipcfsTool('top', m, ['-n', '2', '-d', '0.1', '-k', 'sem']);
    t.is(r.code, 0, r.err);
    const frames = text(r).split('\n\n');
    t.is(frames.length, 2);
    for (const f of frames) {
      t.regex(f, /^ipcfs top - \d\d:\d\d:\d\d - every 0\.1s - sort kind - kind sem - /);
      t.regex(f, new RegExp(`^sem  ${semid} .* 0$`, 'm'));
      t.notRegex(f, /^pool /m);
    }
    // the first frame has no rates yet, the second has
    t.regex(frames[0]!, /\| - ops\/s/);
    t.regex(frames[1]!, /\| 0 ops\/s/);
    t.false(text(r).includes('\x1b'), 'no escape codes');

    const bad = await ipcfsTool('top', m, ['-s', 'size']);
    t.is(bad.code, 1);
    t.is(bad.err, "top: unknown sort column: 'size' (one of kind, ops, wait, id, owner)\nTry 'ipcfs top --help' for more information.\n");
    const help = await ipcfsTool('top', m, ['--help']);
    t.is(help.code, 0);
    t.regex(text(help), /^Usage:\n ipcfs top \[options\]/);
    const notMount = await ipcfsTool('top', '/proc', ['-n', '1']);
    t.is(notMount.code, 1);
    t.regex(notMount.err, /^top: \/proc: not an ipcfs mount/);
  });
});
