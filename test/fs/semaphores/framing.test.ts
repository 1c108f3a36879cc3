/**
 * Framing through a real mount (docs/protocol.md, "Framing: how writes become commands"): a
 * command ends at a newline, runs whole or not at all, and an over-long one fails with EMSGSIZE.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { python } from '../../helpers/python.js';

const test = mountTest();

function create(cloneFile: string, cmd: string): string {
  const r = spawnSync('bash', ['-c', `exec 3<>"$1"; printf '%s\\n' "$2" >&3 || exit 1; cat <&3`, 'x', cloneFile, cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`create failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** bash runs `script` with $1 = the file; exit code, stdout and stderr. */
function bash(script: string, file: string): { code: number | null; out: string; err: string } {
  const r = spawnSync('bash', ['-c', script, 'x', file], { encoding: 'utf8', timeout: 30000, maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The `value:` words, read to end of file (the status of a big set is longer than st_size). */
function values(file: string): string[] {
  const r = spawnSync('python3', ['-c', "import re,sys; print(re.search('^value: (.*)$', open(sys.argv[1]).read(), re.M).group(1))", file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return r.stdout.trim().split(' ');
}

test('bash echo of a 5 KB op line (written in 4096-byte pieces) that must fail with EAGAIN changes nothing', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'sysv', create(join(dir, 'semaphores', 'sysv', '.new'), 'semget private 2'));
    // 400 increments of semaphore 0, then a decrement of semaphore 1 (value 0) without waiting
    const r = bash(`line="op"; for i in $(seq 400); do line+=" 0:+000000001"; done; line+=" 1:-1:nowait"; echo "$line" > "$1"`, f);
    t.not(r.code, 0);
    t.regex(r.err, /Resource temporarily unavailable/, 'EAGAIN for the whole command');
    t.deepEqual(values(f), ['0', '0'], 'no part of it ran');
  });
});

test('echo "setall <32000 values>" from bash sets a 32000-semaphore set', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'sysv', create(join(dir, 'semaphores', 'sysv', '.new'), 'semget private 32000'));
    const r = bash('v="setall"; for i in $(seq 0 31999); do v+=" $((10000 + i % 20000))"; done; echo "$v" > "$1"', f);
    t.is(r.code, 0, r.err);
    const v = values(f);
    t.is(v.length, 32000);
    t.true(v.every((x, i) => Number(x) === 10000 + (i % 20000)));
  });
});

test('one 140 KB write(2) with a newline runs whole, or fails whole and changes nothing', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'sysv', create(join(dir, 'semaphores', 'sysv', '.new'), 'semget private 24000'));
    const r = await python(String.raw`
import os, sys, json
fd = os.open(sys.argv[1], os.O_WRONLY)
good = ('setall ' + ' '.join(str(10000 + i % 20000) for i in range(24000)) + '\n').encode()
print(json.dumps(['length', len(good)]))
print(json.dumps(['good', os.write(fd, good)]))
bad = ('setall ' + ' '.join('20000' for i in range(23999)) + ' 40000\n').encode()
try:
    print(json.dumps(['bad', os.write(fd, bad)]))
except OSError as e:
    print(json.dumps(['bad', e.errno]))
`, [f]);
    const res = Object.fromEntries(r.results);
    t.true((res.length as number) > 140_000);
    t.is(res.good, res.length, `the whole write was taken: ${r.err}`);
    t.is(res.bad, 34, 'ERANGE (a value past SEMVMX) for the whole write');
    const v = values(f);
    t.true(v.every((x, i) => Number(x) === 10000 + (i % 20000)), 'the good write ran whole; the bad one changed nothing');
  });
});

test('an over-long command fails with EMSGSIZE, nothing of it runs, and the next command works', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'sysv', create(join(dir, 'semaphores', 'sysv', '.new'), 'semget private 2'));
    // bash: one write of ~280 KB, then the newline, then the next command
    const r = bash('big="op"; for i in $(seq 70000); do big+=" 0:1"; done; exec 3>"$1"; echo "$big" >&3; echo "op 1:1" >&3', f);
    t.regex(r.err, /Message too long/);
    t.deepEqual(values(f), ['0', '1'], 'the long op did not run; the next command did');
    // in pieces: past the limit the writer's pieces up to its newline fail, even one that reads as a command
    const p = await python(String.raw`
import os, sys, json
fd = os.open(sys.argv[1], os.O_WRONLY)
results = []
for i in range(70):
    try:
        results.append(os.write(fd, b'op  ' + b' 0:1' * 1023 if i == 0 else b' 0:1' * 1024))
    except OSError as e:
        results.append(-e.errno)
for tail in (b'op 1:1 ', b'op 1:1\n', b'op 0:1 1:1\n'):
    try:
        results.append(os.write(fd, tail))
    except OSError as e:
        results.append(-e.errno)
print(json.dumps(['results', results]))
`, [f]);
    const res = p.results[0]![1] as number[];
    const first = res.findIndex((x) => x < 0);
    t.is(first, 64, `the piece that passes 256 KiB fails: ${JSON.stringify(res)} ${p.err}`);
    t.true(res.slice(0, first).every((x) => x === 4096), 'pieces before it were held');
    t.deepEqual(res.slice(first, 72), Array(72 - first).fill(-90), 'EMSGSIZE up to and including the newline');
    t.is(res[72], 11, 'after the newline, the next command runs');
    t.deepEqual(values(f), ['1', '2'], 'only the last command ran');
  });
});

test('write(fd, "post", 4) is a whole command; two commands in one write are EINVAL; .new frames the same way', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'unnamed', create(join(dir, 'semaphores', 'unnamed', '.new'), 'create value=0'));
    const r = await python(String.raw`
import os, sys, json
fd = os.open(sys.argv[1], os.O_RDWR)
print(json.dumps(['post', os.write(fd, b'post')]))
try:
    os.write(fd, b'post\npost\n'); print(json.dumps(['two', 0]))
except OSError as e:
    print(json.dumps(['two', e.errno]))
nfd = os.open(sys.argv[2], os.O_RDWR)
os.write(nfd, b'semget private 1')
print(json.dumps(['new', os.read(nfd, 100).decode().strip()]))
`, [f, join(dir, 'semaphores', 'sysv', '.new')]);
    const res = Object.fromEntries(r.results);
    t.is(res.post, 4, r.err);
    t.is(res.two, 22, 'EINVAL');
    t.regex(res.new as string, /^\d+$/);
    t.deepEqual(values(f), ['1'], 'one post: the two-command write ran neither');
  });
});

test('threads writing pieces of their commands through one description never splice them', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'sysv', create(join(dir, 'semaphores', 'sysv', '.new'), 'semget private 2'));
    const r = await python(String.raw`
import os, sys, json, threading
fd = os.open(sys.argv[1], os.O_WRONLY)
barrier = threading.Barrier(2)
errors = []
def writer(num):
    first = ('op' + (' %d:+000000001' % num) * 320 + ' ').encode()
    try:
        barrier.wait(); os.write(fd, first)
        barrier.wait(); os.write(fd, ('%d:1\n' % num).encode())
    except OSError as e:
        errors.append(e.errno)
ths = [threading.Thread(target=writer, args=(n,)) for n in (0, 1)]
for th in ths: th.start()
for th in ths: th.join()
print(json.dumps(['errors', errors]))
`, [f]);
    t.deepEqual(r.results, [['errors', []]], r.err);
    t.deepEqual(values(f), ['321', '321'], 'each thread\'s command ran whole');
  });
});
