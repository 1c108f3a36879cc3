/**
 * Status texts through a real mount: generated per read without holding the daemon's main loop,
 * complete and well-formed; a process name cannot forge lines. And a timeout past Node's timer
 * range waits as long as asked.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, freshDir, mountTest, sh, sleep, withDaemon } from '../../helpers/mount.js';
import { python } from '../../helpers/python.js';

const test = mountTest();

function create(cloneFile: string, cmd: string): string {
  const r = spawnSync('bash', ['-c', `exec 3<>"$1"; printf '%s\\n' "$2" >&3 || exit 1; cat <&3`, 'x', cloneFile, cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`create failed: ${r.stderr}`);
  return r.stdout.trim();
}

const field = (file: string, name: string): string => new RegExp(`^${name}: (.*)$`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? '';

const WAITERS = 400;

test('a 32000-semaphore set with hundreds of waiters: cat in a loop never holds an unrelated post, and its output is complete', async (t) => {
  const out = join(freshDir('ipcfs-status-'), 'status.txt');
  await withDaemon(async ({ dir }) => {
    const big = join(dir, 'semaphores', 'sysv', create(join(dir, 'semaphores', 'sysv', '.new'), 'semget private 32000'));
    const small = join(dir, 'semaphores', 'unnamed', create(join(dir, 'semaphores', 'unnamed', '.new'), 'create value=0'));
    // WAITERS threads, each on its own descriptor, blocked on semaphores spread over the set
    const waiters = sh(`exec python3 -c "
import os, threading, time
def wait(n):
    fd = os.open('${big}', os.O_WRONLY)
    try: os.write(fd, b'op %d:-1' % n)
    except OSError: pass
for i in range(${WAITERS}): threading.Thread(target=wait, args=(i * 80,), daemon=True).start()
time.sleep(600)
"`);
    try {
      t.true(await eventually(() => field(small, 'value') === '0' && /^ncnt: (\d+)$/m.exec(catBig(big))?.[1] === String(WAITERS), 30000), 'waiters blocked');
      const reader = sh(`while :; do cat '${big}' > '${out}.tmp' && mv '${out}.tmp' '${out}'; done`);
      try {
        await sleep(100);
        const fd = openSync(small, 'w');
        const times: number[] = [];
        for (let i = 0; i < 20; i++) {
          const t0 = process.hrtime.bigint();
          writeSync(fd, 'post');
          times.push(Number(process.hrtime.bigint() - t0) / 1e6);
          await sleep(25);
        }
        closeSync(fd);
        const worst = Math.max(...times);
        t.log(`post latency while cat loops: worst ${worst.toFixed(1)} ms, median ${times.sort((a, b) => a - b)[10]!.toFixed(1)} ms`);
        t.true(worst < 200, `a post waited ${worst.toFixed(0)} ms behind status reads`);
      } finally {
        process.kill(reader.child.pid!, 'SIGKILL');
        await reader.done;
      }
      t.is(field(small, 'value'), '20');
      const lines = readFileSync(out, 'utf8').split('\n');
      t.regex(lines[0]!, /^semid: \d+$/);
      t.deepEqual(lines.slice(1, 4), ['owner: 0', 'perms: 600', 'nsems: 32000']);
      t.is(lines[4], `value: ${Array(32000).fill('0').join(' ')}`);
      t.true(lines.includes(`ncnt: ${WAITERS}`));
      const sems = lines.filter((l) => l.startsWith('sem '));
      t.is(sems.length, 32000);
      t.true(sems.every((l, n) => l === `sem ${n}: value=0 ncnt=${n % 80 === 0 && n / 80 < WAITERS ? 1 : 0} zcnt=0 pid=0`));
      t.is(lines.at(-1), '', 'ends with a newline');
    } finally {
      process.kill(waiters.child.pid!, 'SIGKILL');
      await waiters.done;
    }
  });
});

/** The whole status, read until end of file. */
function catBig(file: string): string {
  return spawnSync('cat', [file], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
}

test('a process name with a newline cannot forge a status line: it is escaped', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'named', create(join(dir, 'semaphores', 'named', '.new'), 'create forge value=2').slice(1));
    const holder = sh(`exec python3 -c "
import ctypes, os, sys, time
ctypes.CDLL(None).prctl(15, b'x\\nundo: pid=1', 0, 0, 0)
fd = os.open('${f}', os.O_RDWR)
os.write(fd, b'wait undo')
print('held', flush=True)
time.sleep(600)
"`);
    try {
      t.true(await eventually(() => field(f, 'value') === '1'), 'the unit is held');
      const pid = holder.child.pid!;
      t.is(readFileSync(`/proc/${pid}/comm`, 'latin1'), 'x\nundo: pid=1\n', 'the process renamed itself');
      const undo = readFileSync(f, 'utf8').split('\n').filter((l) => l.startsWith('undo:'));
      t.deepEqual(undo, [`undo: pid=${pid} comm=x\\nundo:\\x20pid=1 sem=0 adj=1`]);
    } finally {
      process.kill(holder.child.pid!, 'SIGKILL');
      await holder.done;
    }
  });
});

test('wait timeout=3000000 and timedwait 3000000 (past setTimeout\'s 2^31-1 ms) wait rather than time out at once', async (t) => {
  await withDaemon(async (d) => {
    const f = join(d.dir, 'semaphores', 'unnamed', create(join(d.dir, 'semaphores', 'unnamed', '.new'), 'create value=0'));
    for (const cmd of ['wait timeout=3000000', 'timedwait 3000000']) {
      const r = python(String.raw`
import os, sys, json, signal
class Interrupted(Exception): pass
def handler(*a): raise Interrupted()
signal.signal(signal.SIGINT, handler)
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    os.write(fd, sys.argv[2].encode()); print(json.dumps(['result', 'completed']))
except Interrupted:
    print(json.dumps(['result', 'EINTR']))
except OSError as e:
    print(json.dumps(['result', e.strerror]))
`, [f, cmd]);
      t.true(await eventually(() => field(f, 'ncnt') === '1'), `${cmd}: blocked`);
      // a handshake: a round trip through the daemon after the waiter blocked; it is still waiting
      const other = join(d.dir, 'semaphores', 'unnamed', create(join(d.dir, 'semaphores', 'unnamed', '.new'), 'create value=0'));
      t.is(field(other, 'value'), '0');
      t.is(field(f, 'ncnt'), '1', `${cmd}: still blocked after the handshake`);
      const pid = Number(spawnSync('pgrep', ['-f', `python3 -c .* ${f} ${cmd}`], { encoding: 'utf8' }).stdout.trim());
      t.is(readFileSync(`/proc/${pid}/wchan`, 'utf8'), 'request_wait_answer');
      process.kill(pid, 'SIGINT');
      const res = await r;
      t.deepEqual(res.results, [['result', 'EINTR']], `${cmd}: ${res.err}`);
      t.is(field(f, 'ncnt'), '0');
    }
    t.notRegex(d.stderr(), /TimeoutOverflowWarning/);
  });
});

test('a stream keeps its own cursor: end of file stays end of file (a second cat reads nothing, Python\'s buffered read loop ends); a read after a write starts afresh', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'unnamed', create(join(dir, 'semaphores', 'unnamed', '.new'), 'create value=0'));
    const id = f.split('/').pop();
    const r = spawnSync('bash', ['-c', 'exec 3<>"$1"; cat <&3; echo --; cat <&3; echo --; echo post >&3; read -r again <&3; echo "again=$again"; grep value: <&3', 'x', f], { encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    const [first, second, rest] = r.stdout.split('--\n');
    t.regex(first!, new RegExp(`^id: ${id}\n(.*\n)*value: 0\n`), 'the first cat reads the whole text');
    t.is(second, '', 'the second cat on the same descriptor reads end of file');
    t.is(rest, `again=id: ${id}\nvalue: 1\n`, 'after the write: bash reads the fresh text from its start');
    // f.read(n) in a loop reads once more after the short read that ended the text
    const py = spawnSync('python3', ['-c', 'import sys\nf = open(sys.argv[1], "rb")\nn = 0\nwhile f.read(100): n += 1\nprint(n)', f], { encoding: 'utf8', timeout: 10_000 });
    t.is(py.status, 0, `python's buffered read loop ended (${py.error?.message ?? py.stderr})`);
    t.true(Number(py.stdout) >= 1);
  });
});
