/**
 * `ipcfs ipcs` against the system's util-linux ipcs, run at test time on equivalent kernel objects.
 *
 * test/tools/ipcs-twin.c (built here with gcc) makes each System V object twice from one process,
 * in the kernel and on the mount, with the same key, mode, sizes and values, and changes both
 * (semop, msgsnd, msgrcv, attach, IPC_RMID, waiters) so that pids agree; it runs in a fresh IPC
 * namespace (`unshare --ipc`: only the test's objects are listed, and the kernel removes them with
 * the namespace when the twin exits, even when a test fails). The same command lines then run
 * through the system's ipcs and through `ipcfs ipcs`, and the outputs, messages and exit statuses
 * are compared byte for byte after mapping ipcfs's ids to the kernel's (ipcfs numbers as Linux
 * with a sequence, a fresh namespace from 0) and blanking times (of the same second, formatted
 * alike, but a second boundary may fall between the two sides).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { ipcfsTool, shell, text } from '../helpers/cli.js';
import { runTwin, twinIds } from '../helpers/ipcs-twin.js';
import { CLI, asNobody, freshDir, mountTest, withDaemon } from '../helpers/mount.js';

const test = mountTest();

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A command line for both sides: `$K_sem_0` / `$F_sem_0` stand for the twins' ids (`ID(sem,0)`). */
type Case = string[];
const sideArgs = (c: Case, side: 'K' | 'F'): string => c.map((a) => a.replace(/^ID\((\w+),(\d+)\)$/, `"$${side}_$1_$2"`)).map((a) => (a.startsWith('"$') ? a : quote(a))).join(' ');

interface Outcome {
  kernel: string;
  ipcfs: string;
}

/**
 * Runs the twin with specs, then each case through both tools (stdout and stderr together, then
 * the exit status); returns the outputs per case and the id pairs.
 */
async function runTwins(mount: string, specs: string[], cases: Case[], before = '', as: { prefix: string[]; cli: string } = { prefix: [], cli: CLI }): Promise<{ outcomes: Outcome[]; ids: Map<string, string> }> {
  const user = as.prefix.map(quote).join(' ');
  const node = `${user} ${quote(process.execPath)} ${quote(as.cli)} ipcs --mount ${quote(mount)}`;
  let script = before;
  cases.forEach((c, i) => {
    script += `echo "@@kernel ${i}"; ${user} ipcs ${sideArgs(c, 'K')} 2>&1; echo "@@rc $?"; `;
    script += `echo "@@ipcfs ${i}"; ${node} ${sideArgs(c, 'F')} 2>&1; echo "@@rc $?"; `;
  });
  const out = await runTwin(mount, script, specs);
  const outcomes: Outcome[] = cases.map(() => ({ kernel: '', ipcfs: '' }));
  let current: { i: number; side: 'kernel' | 'ipcfs' } | null = null;
  for (const line of out.split(/(?<=\n)/)) {
    const head = /^@@(kernel|ipcfs) (\d+)\n$/.exec(line);
    if (head) current = { i: Number(head[2]), side: head[1] as 'kernel' | 'ipcfs' };
    else if (current) outcomes[current.i]![current.side] += line;
  }
  return { outcomes, ids: twinIds(out) };
}

const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const LONG_TIME = new RegExp(`(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat) ${MONTH} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}`, 'g');
const SHORT_TIME = new RegExp(`${MONTH} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d`, 'g');
const blankTimes = (s: string): string => s.replace(LONG_TIME, (m) => 'T'.repeat(m.length)).replace(SHORT_TIME, (m) => 'T'.repeat(m.length));

/**
 * ipcfs's ids as the kernel's twins, where ipcs prints ids: a row's first column (after the key in
 * the default view) and `semid=`/`msqid=`/`shmid=`; a padded id keeps its column's width.
 */
function mapIds(s: string, ids: Map<string, string>): string {
  const swap = (id: string, pad: string): string => {
    const k = ids.get(id);
    if (k === undefined) return id + pad;
    return pad ? k.padEnd(id.length + pad.length) : k;
  };
  return s
    .split('\n')
    .map((line) => line.replace(/^(0x[0-9a-f]{8} )?(\d+)( *)/, (_, key: string | undefined, id: string, pad: string) => (key ?? '') + swap(id, pad)).replace(/\b(semid|msqid|shmid)=(\d+)/, (_, w: string, id: string) => `${w}=${swap(id, '')}`))
    .join('\n');
}

function compare(t: ExecutionContext, cases: Case[], outcomes: Outcome[], ids: Map<string, string>): void {
  cases.forEach((c, i) => {
    const o = outcomes[i]!;
    t.true(o.kernel.includes('@@rc'), `the system's ipcs ran for ${c.join(' ')}`);
    t.is(blankTimes(mapIds(o.ipcfs, ids)), blankTimes(o.kernel), `ipcs ${c.join(' ')}`);
  });
}

const SPECS = [
  // a keyed set of three: one waiter for an increase on semaphore 1, one for zero on 2
  'sem:0x7e57:640:1,2,3:1:2',
  'sem:0:600:5:-1:-1',
  // owners other than the creator: a name longer than the owner column, no name at all, nobody
  'own:sem:998:999',
  // a queue with a key above 0x7fffffff (negative as a key_t): two messages sent, one received
  'msg:0x80000001:604:5,10:1',
  'msg:0:600:-:0',
  'own:msg:12345:12345',
  // attached; detached again; attached and removed (dest, private key)
  'shm:0x55:640:5000:1',
  'shm:0:600:100:0',
  'own:shm:65534:65534',
  'shm:0x99:600:1536:2',
];

test('listings in every output format, with --human and -b, as the system ipcs shows the same kernel objects', async (t) => {
  const cases: Case[] = [[], ['-a'], ['-q'], ['-m'], ['-s'], ['-t'], ['-p'], ['-c'], ['-u'], ['-b'], ['--human'], ['-u', '--human'], ['-u', '-b'], ['-sq', '-t'], ['--shmems', '--pid'], ['--queues', '--creator', '--semaphores'], ['-m', '-c', '-t'], ['--time', '--human', '-b']];
  await withDaemon(async ({ dir }) => {
    const { outcomes, ids } = await runTwins(dir, SPECS, cases);
    compare(t, cases, outcomes, ids);
  });
});

test('-i: the detail of each kind (per-semaphore values, counts and pids; a removed segment), with --human and -b', async (t) => {
  const cases: Case[] = [
    ['-s', '-i', 'ID(sem,0)'],
    ['-s', '-i', 'ID(sem,1)'],
    ['-q', '-i', 'ID(msg,0)'],
    ['-q', '-i', 'ID(msg,1)', '--human'],
    ['--queues', '--id', 'ID(msg,0)', '-b'],
    ['-m', '-i', 'ID(shm,0)'],
    ['-m', '-i', 'ID(shm,1)', '--human'],
    ['-i', 'ID(shm,2)', '-m'],
    ['-m', '-t', '-i', 'ID(shm,0)'],
  ];
  await withDaemon(async ({ dir }) => {
    const { outcomes, ids } = await runTwins(dir, SPECS, cases);
    compare(t, cases, outcomes, ids);
  });
});

test('refusals: unknown ids, bad ids, bad options, -i without one resource: the same messages and exit statuses', async (t) => {
  const cases: Case[] = [
    ['-s', '-i', '99999'],
    ['-q', '-i', '99999'],
    ['-m', '-i', '99999'],
    ['-i', '5'],
    ['-i', '5', '-s', '-m'],
    ['-a', '-i', '1'],
    ['-s', '-i', 'abc'],
    ['-s', '-i', ''],
    ['-s', '-i', '12x'],
    ['-s', '-i', '0x10'],
    ['-s', '-i', ' +7'],
    ['-s', '-i', '2147483648'],
    ['-s', '-i', '-2147483649'],
    ['-x'],
    ['-s', '-x', '-i', 'abc'],
    ['-i', 'abc', '-x'],
    ['--bogus'],
    ['--id'],
    ['-s', '-i'],
    ['--time=1'],
    ['-s', 'operand'],
  ];
  await withDaemon(async ({ dir }) => {
    const { outcomes, ids } = await runTwins(dir, ['sem:0:600:1:-1:-1'], cases);
    compare(t, cases, outcomes, ids);
  });
});

test('as another user (nobody): objects it may read as the system ipcs shows them; those it may not, listed from sysvipc/ as the kernel lists them', async (t) => {
  const nobody = asNobody(t);
  if (typeof nobody === 'string') {
    t.fail(nobody);
    return;
  }
  const specs = ['sem:0x10:644:1,2:-1:-1', 'sem:0x11:600:3:-1:-1', 'msg:0x12:644:5:0', 'msg:0x13:600:7:0', 'shm:0x14:644:100:0', 'shm:0x15:600:200:0'];
  const readable: Case[] = [
    ['-s', '-i', 'ID(sem,0)'],
    ['-q', '-i', 'ID(msg,0)'],
    ['-m', '-i', 'ID(shm,0)'],
  ];
  const closed: Case[] = [[], ['-c'], ['-u'], ['-t'], ['-s', '-i', 'ID(sem,1)'], ['-q', '-i', 'ID(msg,1)'], ['-m', '-i', 'ID(shm,1)']];
  await withDaemon(
    async ({ dir }) => {
      const { outcomes, ids } = await runTwins(dir, specs, [...readable, ...closed], '', nobody);
      compare(t, readable, outcomes, ids);
      if (existsSync(join(dir, 'sysvipc', 'sem'))) {
        compare(t, closed, outcomes.slice(readable.length), ids);
        return;
      }
      // a mount without sysvipc/ tables (an older daemon): what nobody may not read is not listed
      const list = outcomes[readable.length]!.ipcfs;
      t.regex(list, /^0x00000010 /m);
      t.notRegex(list, /^0x00000011 /m, 'the set nobody may not read is skipped');
      t.regex(outcomes[readable.length + 4]!.ipcfs, /^ipcs: id \d+ not found\n@@rc 0\n$/);
    },
    { args: ['--allow-other'] },
  );
});

test('-l: the limits of the mount (limits/), as the system ipcs shows the same kernel limits', async (t) => {
  const cases: Case[] = [['-l'], ['-l', '-b'], ['-l', '--human'], ['-q', '-l'], ['-m', '--limits', '-b'], ['-s', '-l']];
  // the same limits on both sides, none of them a default (so each comes from the mount)
  const limits = { msgmni: 100, msgmax: 4096, msgmnb: 8192, shmmni: 50, shmmax: 1073741825, shmall: 2097153 };
  const sem = { semmsl: 250, semmns: 32000, semopm: 32, semmni: 128 };
  const sysctl = `${Object.entries(limits)
    .map(([k, v]) => `echo ${v} > /proc/sys/kernel/${k} && `)
    .join('')}echo '${sem.semmsl} ${sem.semmns} ${sem.semopm} ${sem.semmni}' > /proc/sys/kernel/sem || exit 9; `;
  const list = Object.entries({ ...limits, ...sem })
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  await withDaemon(
    async ({ dir }) => {
      const { outcomes, ids } = await runTwins(dir, [], cases, sysctl);
      compare(t, cases, outcomes, ids);
    },
    { args: ['--limits', list] },
  );
});

test('--help names --mount and IPCFS_MOUNT and every option of the system ipcs; -V; no mount or a dead daemon: one line, exit 1', async (t) => {
  const help = await ipcfsTool('ipcs', '/nonexistent', ['--help']);
  t.is(help.code, 0);
  t.regex(text(help), /--mount <dir>/);
  t.regex(text(help), /IPCFS_MOUNT/);
  const system = spawnSync('ipcs', ['--help'], { encoding: 'utf8' }).stdout;
  for (const line of system.split('\n').filter((l) => /^ {1,5}-/.test(l))) t.true(text(help).includes(`${line}\n`), `--help has ${line}`);
  const version = await shell([process.execPath, CLI, 'ipcs', '-V']);
  t.is(version.code, 0);
  t.regex(text(version), /^ipcs from ipcfs \S+ \(util-linux 2\.38\.1 compatible\)\n$/);

  const none = freshDir('ipcs-none-');
  t.teardown(() => rmSync(none, { recursive: true, force: true }));
  const notMounted = await shell([process.execPath, CLI, 'ipcs'], '', { ...process.env, IPCFS_MOUNT: none });
  t.is(notMounted.code, 1);
  t.is(text(notMounted), '');
  t.regex(notMounted.err, /^ipcs: [^\n]*not an ipcfs mount[^\n]*\n$/);

  await withDaemon(async (d) => {
    d.child.kill('SIGKILL');
    await d.exited;
    const dead = await ipcfsTool('ipcs', d.dir, ['-s']);
    t.is(dead.code, 1);
    t.is(text(dead), '');
    t.regex(dead.err, /^ipcs: [^\n]*not running[^\n]*\n$/);
  });
});

test('POSIX views (ipcfs only: util-linux 2.38 has none): each kind listed with its values, sizes and owners', async (t) => {
  await withDaemon(async ({ dir }) => {
    for (const [tool, args] of [
      ['sem', ['create', '/jobs', '--value', '4', '--mode', '640']],
      ['sem', ['create', '/app/x', '--value', '0']],
      ['mq', ['create', '/tasks', '--maxmsg', '5', '--msgsize', '100', '--mode', '604']],
      ['shm', ['create', '/seg', '--size', '1536', '--mode', '644']],
    ] as const) {
      const r = await ipcfsTool(tool, dir, [...args]);
      t.is(r.code, 0, r.err);
    }
    const sent = await ipcfsTool('mq', dir, ['send', '/tasks'], 'seven b');
    t.is(sent.code, 0, sent.err);
    const all = await ipcfsTool('ipcs', dir, ['--posix']);
    t.is(all.code, 0, all.err);
    t.is(
      text(all),
      [
        '',
        '------ POSIX Message Queues --------',
        'name                 owner      perms      used-bytes   messages    ',
        '/tasks               root       604        7            1           ',
        '',
        '------ POSIX Shared Memory Segments --------',
        'name                 owner      perms      bytes      nattch    ',
        '/seg                 root       644        1536       0         ',
        '',
        '------ POSIX Semaphores --------',
        'name                 owner      perms      value     ',
        '/app/x               root       600        0         ',
        '/jobs                root       640        4         ',
        '',
        '',
      ].join('\n'),
    );
    const human = await ipcfsTool('ipcs', dir, ['--posix-shmems', '--human']);
    t.regex(text(human), /^\/seg {17}root {7}644 {8} {2}1\.5K {4} 0 {9}\n/m);
    const only = await ipcfsTool('ipcs', dir, ['--posix-semaphores', '-c']);
    t.regex(text(only), /^\n------ POSIX Semaphores Creators\/Owners --------\n/);
    t.notRegex(text(only), /Message|Shared/, 'only the kind asked for');
    const refused = await ipcfsTool('ipcs', dir, ['--posix-mqueues', '-i', '1']);
    t.is(refused.code, 1);
    t.is(refused.err, 'ipcs: when using an ID, a single resource must be specified\n');
    const sysv = await ipcfsTool('ipcs', dir, []);
    t.notRegex(text(sysv), /POSIX/, 'the default is util-linux\'s: System V only');
  });
});
