/**
 * examples/: every program runs against a live mount (the C ones built with gcc first), prints
 * what its opening comment says it does, exits 0 and leaves no object behind. And docs/protocol.md
 * shows each of them verbatim, once, under a marker line `<!-- example: examples/NAME -->`, so the
 * docs and the programs cannot drift apart.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import avaTest from 'ava';
import { gcc, leftovers } from './helpers/examples.js';
import { PACKAGE_ROOT, eventually, mountTest, startDaemon, stopDaemon, type Daemon } from './helpers/mount.js';

const EXAMPLES = join(PACKAGE_ROOT, 'examples');
// Every program at the top: each must run here and appear in the docs. The C programs of
// examples/libipcfs and examples/exec, and the README, are test/examples-c.test.ts's.
const files = readdirSync(EXAMPLES, { withFileTypes: true }).filter((e) => e.isFile() && e.name !== 'README.md').map((e) => e.name).sort();

// One daemon for every example; they run one after another, so each is checked for leftovers.
const mounted = mountTest() === avaTest;
const serial: typeof avaTest.serial = mounted ? avaTest.serial : (avaTest.serial.skip as unknown as typeof avaTest.serial);
let daemon: Daemon | null = null;
let build = '';
if (mounted) {
  avaTest.before(async () => {
    build = mkdtempSync(join(tmpdir(), 'ipcfs-examples-'));
    await Promise.all(files.filter((f) => f.endsWith('.c')).map((f) => gcc(join(EXAMPLES, f), join(build, basename(f, '.c')))));
    daemon = await startDaemon();
  });
  avaTest.after.always(async () => {
    if (daemon) await stopDaemon(daemon);
    if (build) rmSync(build, { recursive: true, force: true });
  });
}

/** What each example prints (a regular expression for what varies: ids, pids, comm). */
const expected: Record<string, RegExp> = {
  'sem.sh': /^value: 3\nundo: pid=\d+ comm=\S+ sem=0 adj=1\nvalue: 4\n$/,
  'sem.py': /^after op: \['0', '1'\]\nsemaphore 0 is taken: EAGAIN\ntook semaphore 0 again: \['0', '1'\]\n$/,
  'sem.c': /^the child holds the token\nthe child was killed; its token came back to the parent\n$/,
  'mq-posix.sh': /^received prio=5 size=12 id=\d+: build libfoo\nQSIZE:0 +NOTIFY:0 +SIGNO:0 +NOTIFY_PID:0 +\n$/,
  'mq-posix.py': /^prio=9 size=6 b'urgent'\nprio=1 size=5 b'low\\x00\\n'\n$/,
  'mq-posix.c': /^worker 1 got id=\d+ "resize photo.jpg" and died without ack\nworker 2 got id=\d+ "resize photo.jpg" and acked it\n$/,
  'mq-sysv.sh': /^type=2 size=11\nthen type 2\ntype=1 size=13\nfirst, type 1\nmsqid: \d+\nqnum: 0\n$/,
  'mq-sysv.py': /^by-key\/0x[0-9a-f]{8} -> \.\.\/\d+\ntype=7 size=16 id=\d+ job for a worker\n$/,
  'mq-sysv.c': /^child got type=2 size=13: for the child\nparent got type=1 size=10: for anyone\n$/,
  'shm-posix.sh': /^at 4096: hello\nsize: 1048576\nopens: 0\n$/,
  'shm-posix.py': /^size: 1048576 opens: 1\nread\(2\) sees: b'hello'\n$/,
  'shm-posix.c': /^parent's mapping: written by the child\nread\(2\): written by the child\n$/,
  'shm-sysv.sh': /^by-key\/0x[0-9a-f]{8} -> \.\.\/\d+\nread back: hello\nsegsz: 65536\nnattch: 0\n$/,
  'shm-sysv.py': /^parent sees: b'from child'\nsegsz: 4096 nattch: 1\n$/,
  'shm-sysv.c': /^ftruncate: EPERM, the size is fixed\nshmid \d+: hello from the child\n$/,
  'jobserver.sh': /^size: 2\nfree: 2\nheld: 0\n +\+ +\+\n$/,
  'jobserver.py': /^running a job with token '\+'; free: 0 holder: pid=PID tokens=1 comm=python3\n\['free: 1', 'taken: 1', 'returned: 1'\]\n$/,
};

function command(file: string): string[] {
  switch (extname(file)) {
    case '.sh':
      return ['sh', join(EXAMPLES, file)];
    case '.py':
      return ['python3', join(EXAMPLES, file)];
    case '.c':
      return [join(build, basename(file, '.c'))];
    default:
      throw new Error(`examples/${file}: no way to run it here`);
  }
}

avaTest('every example has its expected output here', (t) => {
  t.deepEqual(Object.keys(expected).sort(), files);
});

for (const file of files) {
  serial(`examples/${file} runs on a mount, prints what it did and leaves nothing behind`, async (t) => {
    const dir = daemon!.dir;
    t.deepEqual(leftovers(dir), [], 'the mount is empty before');
    const [cmd, ...args] = command(file);
    const run = spawnSync(cmd!, [...args, dir], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
    t.is(run.status, 0, `exit status; stderr: ${run.stderr}`);
    t.is(run.stderr, '');
    t.regex(run.stdout, expected[file] ?? /^$/);
    // Objects removed while still open or mapped go when the kernel's RELEASE arrives, just after.
    await eventually(() => leftovers(dir).length === 0);
    const left = leftovers(dir);
    for (const path of left) if (!path.includes('/by-key/')) rmSync(join(dir, path), { recursive: true, force: true }); // the next example starts clean
    t.deepEqual(left, [], 'every object it made is gone');
  });
}

/** The docs' example blocks: the marker's file name, the block's text (after its fence line). */
function docBlocks(): { name: string; text: string | null }[] {
  const doc = readFileSync(join(PACKAGE_ROOT, 'docs', 'protocol.md'), 'utf8');
  return [...doc.matchAll(/^<!-- example: examples\/(\S+) -->\n(?:```\w*\n([\s\S]*?)^```$)?/gm)].map((m) => ({ name: m[1]!, text: m[2] ?? null }));
}

avaTest('docs/protocol.md shows every example once, byte for byte, each under its marker', (t) => {
  const blocks = docBlocks();
  // The programs of examples/libipcfs and examples/exec may be shown too (then as they are).
  const names = blocks.map((b) => b.name);
  t.deepEqual(names.filter((n) => !n.includes('/')).sort(), files, 'each file at the top of examples/ exactly once');
  t.deepEqual([...new Set(names)].sort(), [...names].sort(), 'no example twice');
  for (const { name, text } of blocks) {
    t.true(existsSync(join(EXAMPLES, name)), `the marker of ${name} names a file of examples/`);
    t.not(text, null, `the marker of ${name} is followed by a fenced block`);
    t.is(text, readFileSync(join(EXAMPLES, name), 'utf8'), `the block of ${name} is the file`);
  }
});

avaTest('each example opens with a comment saying what it shows and how it is run', (t) => {
  for (const file of files) {
    const head = readFileSync(join(EXAMPLES, file), 'utf8').split('\n').slice(0, 8).join('\n');
    t.regex(head, /^(#!\/bin\/sh\n# |"""|\/\* )/, file);
    t.regex(head, /Usage: .*\[MOUNT\]/, file);
  }
});
