/**
 * A hostile unprivileged user against a real mount (`--allow-other`): what it finds must be
 * bounded, refused with Linux's errno, and leave the daemon serving everyone else.
 */
import { spawn } from 'node:child_process';
import { python } from '../helpers/python.js';
import { chmodSync, closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, mountTest, withDaemon } from '../helpers/mount.js';
import { COMMAND_MAX, UID_HELD_MAX } from '../../fs/tree/command-framing.js';

const test = mountTest();

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

/**
 * As nobody: opens `handles` descriptors on FILE and holds a longest unfinished command (no
 * newline) on each, in 64 KiB pieces; prints the first refusal (handle index and errno) or "all".
 */
const HOLDER = String.raw`
const fs = require('node:fs');
const [file, handles, perHandle] = process.argv.slice(1);
const piece = Buffer.alloc(65536, 0x78);
let out = { held: 0 };
outer: for (let i = 0; i < Number(handles); i++) {
  const fd = fs.openSync(file, fs.constants.O_RDWR);
  for (let n = 0; n < Number(perHandle); n += piece.length) {
    try { fs.writeSync(fd, piece); out.held += piece.length; }
    catch (err) { out = { ...out, handle: i, err: err.code }; break outer; }
  }
}
process.stdout.write(JSON.stringify(out) + '\n');
`;

function runAsNobody(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(NOBODY[0]!, [...NOBODY.slice(1), process.execPath, '--input-type=commonjs', '-e', HOLDER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => resolve(out));
  });
}

test('unfinished commands held across many handles are bounded per uid (ENOBUFS), and given back at close', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sem = join(dir, 'semaphores', 'named', 'held');
    closeSync(openSync(sem, 'wx', 0o666));
    chmodSync(sem, 0o666);
    // One more handle than the per-uid budget has room for, each holding a longest command.
    const handles = UID_HELD_MAX / COMMAND_MAX + 1;
    const got = JSON.parse(await runAsNobody([sem, String(handles), String(COMMAND_MAX)])) as { held: number; handle?: number; err?: string };
    t.is(got.err, 'ENOBUFS', `nobody held ${got.held} bytes over ${handles} handles`);
    t.is(got.handle, handles - 1, 'refused only past the per-uid budget');
    t.is(got.held, UID_HELD_MAX);
    // The process exited: its handles are released (RELEASE may trail the exit) and give their bytes back.
    const handlesUsed = () => Number(/^handles-used: (\d+)$/m.exec(readFileSync(join(dir, 'limits', 'ipcfs'), 'utf8'))?.[1]);
    t.true(await eventually(() => handlesUsed() === 1), 'only the reader of limits/ipcfs');
    const again = JSON.parse(await runAsNobody([sem, '1', String(COMMAND_MAX)])) as { held: number; err?: string };
    t.deepEqual(again, { held: COMMAND_MAX });
    // Root is not held by nobody's budget, and a plain command still runs.
    const fd = openSync(sem, 'r+');
    try {
      t.is(writeSync(fd, 'post\n'), 5);
    } finally {
      closeSync(fd);
    }
  }, { args: ['--allow-other'] });
});

/** VmRSS of a process, in bytes. */
function rss(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/** N threads block in `wait` through one shared descriptor, each command padded to `pad` bytes. */
const PADDED_WAITERS = String.raw`
import os, sys, threading, json
path, n, pad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fd = os.open(path, os.O_RDWR)
msg = b'wait' + b' ' * pad + b'\n'
done = []
def wait():
    try: os.write(fd, msg); done.append('ok')
    except OSError as e: done.append(e.strerror)
threading.stack_size(65536)
ts = [threading.Thread(target=wait) for _ in range(n)]
for t in ts: t.start()
for t in ts: t.join()
print(json.dumps(['woke', sorted(set(done)), len(done)]))
`;

test('a blocked write does not keep its bytes: many waiters with padded commands cost the daemon little', async (t) => {
  await withDaemon(async ({ dir, child }) => {
    const sem = join(dir, 'semaphores', 'named', 'padded');
    closeSync(openSync(sem, 'wx', 0o666));
    const status = () => readFileSync(sem, 'utf8');
    const n = 300;
    const pad = 250_000;
    const before = rss(child.pid!);
    const run = python(PADDED_WAITERS, [sem, String(n), String(pad)], 60_000);
    t.true(await eventually(() => status().includes(`\nncnt: ${n}\n`), 30_000), 'every thread blocks');
    const grown = rss(child.pid!) - before;
    // Kept, the commands would be n * pad = 75 MB; the waiters themselves are small records.
    t.true(grown < (n * pad) / 3, `daemon grew ${Math.round(grown / 1e6)} MB for ${n} blocked waiters`);
    const fd = openSync(sem, 'r+');
    try {
      writeSync(fd, `set ${n}\n`);
    } finally {
      closeSync(fd);
    }
    const r = await run;
    t.deepEqual(r.results, [['woke', ['ok'], n]], r.err);
  }, { args: ['--allow-other'] });
});
