/**
 * System V message queues as files under hostile use, on real mounts, with exact errnos. Wherever
 * the kernel can answer (msgget, msgsnd, msgrcv, msgctl as root or as nobody), the same commands run
 * on a kernel queue too and the kernel's answer is the expected one (test/helpers/msg-sides.ts);
 * what only files have (.new, by-key, rm, chmod, O_NONBLOCK, EBUSY of an unread answer, poll) is
 * checked against docs/protocol.md.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { Actor as FsActor } from '../../helpers/actor.js';
import { mountTest, startDaemon, stopDaemon, withDaemon, type Daemon } from '../../helpers/mount.js';
import { mountQueue, Pair, parseMsgStatus, type Step } from '../../helpers/msg-sides.js';
import { python } from '../../helpers/python.js';
import { startMsgActor } from '../../ipc/msg/kernel-msg.js';

/** A System V semaphore set of one semaphore (value 0) through semaphores/sysv/.new; its file. */
function semSet(dir: string): string {
  const sysv = join(dir, 'semaphores', 'sysv');
  const r = spawnSync('bash', ['-c', `exec 3<>"$1"; printf '%s\\n' "$2" >&3 || exit 1; cat <&3`, 'x', join(sysv, '.new'), 'semget private 1 mode=0600'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`semget on the mount: ${r.stderr}`);
  return join(sysv, r.stdout.trim());
}

const test = mountTest();
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

let daemon: Daemon | null = null;
test.before(async () => {
  daemon = await startDaemon({ args: ['--allow-other'] });
});
test.after.always(async () => {
  if (daemon) await stopDaemon(daemon);
});

/** Runs the steps on both sides; each step's answers and state must be the kernel's. */
async function same(t: ExecutionContext, pair: Pair, steps: Step[], label: string): Promise<void> {
  for (const s of steps) {
    const { kernel, mount } = await pair.step(s);
    t.deepEqual(mount, kernel, `${label}: ${'cmd' in s ? s.cmd : s.signal} by ${s.who < 0 ? 'ctl' : `a${s.who}`}`);
  }
}

async function paired(fn: (pair: Pair, file: string) => Promise<void>, prefix: readonly string[] = []): Promise<void> {
  const file = mountQueue(daemon!.dir);
  const pair = await Pair.open(file, prefix);
  try {
    await fn(pair, file);
  } finally {
    await pair.close();
  }
}

/** A kernel-msg process's answer to `get KEY FLAGS` (msgget), as ok/err. */
async function kernelMsgget(prefix: readonly string[], key: string, flags: string): Promise<string> {
  const a = await startMsgActor(prefix);
  try {
    const r = await a.run(`get ${key} ${flags}`);
    return r.startsWith('ok ') ? 'ok' : r.slice(4);
  } finally {
    await a.kill();
  }
}

test('msgget through .new gives the kernel\'s errnos: ENOENT, EEXIST with excl, EACCES as nobody on a 0600 queue; keys 0xffffffff and -1 are one key with one by-key link; ENOSPC past msgmni changes nothing', async (t) => {
  await withDaemon(
    async ({ dir }) => {
      const sysv = join(dir, 'mqueue', 'sysv');
      const dotNew = join(sysv, '.new');
      const root = await FsActor.start();
      const nobody = await FsActor.start(NOBODY);
      const ctl = await startMsgActor();
      const kernelIds: string[] = [];
      const key = `0x${(0x5e000000 + Math.floor(Math.random() * 0xffffff)).toString(16)}`;
      const viaNew = async (a: FsActor, cmd: string): Promise<string> => {
        const r = await a.do('create', dotNew, cmd);
        return r.err ?? 'ok';
      };
      try {
        // the kernel's answers, root then nobody, on a fresh key
        const expected: string[] = [];
        expected.push(await kernelMsgget([], key, '0'));
        const made = await ctl.run(`get ${key} 01600`);
        kernelIds.push(made.slice(3));
        expected.push(made.startsWith('ok') ? 'ok' : made);
        expected.push(await kernelMsgget([], key, '03600'));
        expected.push(await kernelMsgget(NOBODY, key, '0600'));
        expected.push(await kernelMsgget(NOBODY, key, '0'));
        t.deepEqual(expected, ['ENOENT', 'ok', 'EEXIST', 'EACCES', 'ok'], 'the kernel as this test knows it');

        const got = [
          await viaNew(root, `msgget ${key}`),
          await viaNew(root, `msgget ${key} creat mode=0600`),
          await viaNew(root, `msgget ${key} creat excl mode=0600`),
          await viaNew(nobody, `msgget ${key} mode=0600`),
          await viaNew(nobody, `msgget ${key} mode=0`),
        ];
        t.deepEqual(got, expected);
        const id = (await root.ok('create', dotNew, `msgget ${key}`)) as string;
        t.is(readlinkSync(join(sysv, 'by-key', `0x${key.slice(2).padStart(8, '0')}`)), `../${id}`);

        // key_t is an int: 0xffffffff and -1 name one queue, on the kernel and here
        const k1 = await ctl.run('get 0xffffffff 01600');
        const k2 = await ctl.run('get -1 0');
        kernelIds.push(k1.slice(3));
        const m1 = (await root.ok('create', dotNew, 'msgget 0xffffffff creat')) as string;
        const m2 = (await root.ok('create', dotNew, 'msgget -1')) as string;
        t.is(k1 === k2, true, 'the kernel: one queue');
        t.is(m1, m2, 'ipcfs: one queue');
        t.is(readlinkSync(join(sysv, 'by-key', '0xffffffff')), `../${m1}`);
        t.deepEqual(readdirSync(join(sysv, 'by-key')).sort(), [`0x${key.slice(2).padStart(8, '0')}`, '0xffffffff'].sort());

        // msgmni=4: two more, then ENOSPC for root and nobody alike, and nothing appears
        await root.ok('create', dotNew, 'msgget private');
        await nobody.ok('create', dotNew, 'msgget private');
        const before = readdirSync(sysv).sort();
        t.is(await viaNew(root, 'msgget private'), 'ENOSPC');
        t.is(await viaNew(nobody, 'msgget 0x1234 creat'), 'ENOSPC');
        t.deepEqual(readdirSync(sysv).sort(), before);
        // removal gives the slot back
        unlinkSync(join(sysv, m1));
        t.is(await viaNew(nobody, 'msgget 0x1234 creat'), 'ok');
      } finally {
        for (const id of kernelIds) if (/^\d+$/.test(id)) await ctl.run(`use ${id}`).then(() => ctl.run('rmid'));
        await Promise.all([root.stop(), nobody.stop(), ctl.kill()]);
      }
    },
    { args: ['--allow-other', '--limits', 'msgmni=4'] },
  );
});

test('another user: ipc_set and rmid are EPERM as in the kernel, and so are rm and chmod; qbytes above msgmnb is EPERM for an owner who is not root, allowed to root', async (t) => {
  await paired(async (pair, file) => {
    await same(t, pair, [{ who: -1, cmd: 'ipc_set mode=0666' }], 'root opens it to all');
    const nobody = await pair.add(NOBODY);
    await same(
      t,
      pair,
      [
        { who: nobody, cmd: 'ipc_set mode=0644' },
        { who: nobody, cmd: 'ipc_set qbytes=100' },
        { who: nobody, cmd: 'rmid' },
        { who: nobody, cmd: 'snd 1 hello' },
        { who: nobody, cmd: 'rcv 0 10' },
      ],
      'not the owner',
    );
    await same(
      t,
      pair,
      [
        { who: nobody, cmd: 'rcv 0 10' },
        { who: -1, cmd: 'ipc_set mode=0600' },
        { who: nobody, cmd: 'snd 1 x' },
        { who: -1, cmd: 'ipc_set mode=0666 qbytes=1' },
        { who: -1, cmd: 'snd 1 a' },
        { who: nobody, cmd: 'snd 1 b' },
        { who: -1, cmd: 'ipc_set mode=0600 qbytes=10' },
        { who: -1, cmd: 'rcv 0 10' },
        { who: -1, cmd: 'ipc_set mode=0666 qbytes=16384' },
      ],
      'an open file loses its permission: sleepers are woken with EACCES, later calls refused',
    );
    const kernelRmid = (await pair.kernel.of(nobody).run('rmid')).slice(4);
    // this Node as nobody (readable by every user, unlike a per-user tool shim)
    const asNobody = (code: string): string =>
      spawnSync(NOBODY[0]!, [...NOBODY.slice(1), process.execPath, '-e', `const fs = require('node:fs'); const p = process.argv[1]; try { ${code}; console.log('ok') } catch (e) { console.log(e.code) }`, file], { encoding: 'utf8' }).stdout.trim();
    t.is(asNobody('fs.unlinkSync(p)'), kernelRmid, 'rm as another user is IPC_RMID refused');
    t.is(asNobody('fs.chmodSync(p, 0o644)'), 'EPERM', 'chmod as another user is IPC_SET refused');
    t.is(asNobody('fs.chownSync(p, 65534, 65534)'), 'EPERM');
    t.is(parseMsgStatus(readFileSync(file, 'utf8')).qbytes, 16384, 'nothing changed');
    await same(
      t,
      pair,
      [
        { who: -1, cmd: 'ipc_set uid=65534' },
        { who: nobody, cmd: 'ipc_set qbytes=16385' },
        { who: nobody, cmd: 'ipc_set qbytes=16384' },
        { who: nobody, cmd: 'ipc_set qbytes=200 mode=0600' },
      ],
      'nobody owns it',
    );
    // above MSGMNB the kernel asks for CAP_SYS_RESOURCE (root in a container may lack it), ipcfs
    // for uid 0: a documented difference (docs/protocol.md), so this answer is the document's
    t.is(await pair.mount.of(-1).run('ipc_set qbytes=100000'), 'ok');
    t.is(parseMsgStatus(readFileSync(file, 'utf8')).qbytes, 100000);
  });
});

test('msgsnd and msgrcv errors are the kernel\'s: past msgmax and type < 1 EINVAL, E2BIG leaves the message queued, nowait EAGAIN and ENOMSG, noerror cuts', async (t) => {
  await paired(async (pair) => {
    await pair.add();
    const steps = [
      'snd 1 @8193',
      'snd 0 x',
      'snd -5 x',
      'snd 1 @8192',
      'rcv 0 100',
      'rcv 0 8191',
      'rcv 0 8192',
      'rcv 0 10 nowait',
      'rcv 3 10 nowait,except',
      'ipc_set qbytes=4',
      'snd 2 abcd',
      'snd 1 e nowait',
      'snd 1 - nowait',
      'rcv -1 10 nowait',
      'rcv 0 2',
      'rcv 0 2 noerror',
      'rcv 0 0 nowait',
      'ipc_set qbytes=0',
      'snd 1 - nowait',
    ].map((cmd) => ({ who: 0, cmd }));
    await same(t, pair, steps, 'errors');
  });
});

test('O_NONBLOCK, set by fcntl after open or given at open, acts as IPC_NOWAIT (ENOMSG, EAGAIN) as the kernel\'s flag; cleared, the receive sleeps again', async (t) => {
  await paired(async (pair, file) => {
    const a = await pair.add();
    const k = pair.kernel.of(a);
    const m = pair.mount.of(a);
    t.is(await m.run('nonblock on'), 'ok');
    t.is(await m.run('rcv 0 10'), await k.run('rcv 0 10 nowait'));
    await same(t, pair, [{ who: -1, cmd: 'ipc_set qbytes=3' }, { who: -1, cmd: 'snd 1 abc' }], 'fill');
    t.is(await m.run('snd 1 d'), await k.run('snd 1 d nowait'));
    t.is(await m.run('rcv 2 10'), await k.run('rcv 2 10 nowait'));
    // at open
    const r = await python(
      `import os, sys, json, errno
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NONBLOCK)
for cmd in (b'send 1\\nx', b'receive 5'):
    try:
        os.write(fd, cmd)
        print(json.dumps([cmd.decode(), 'ok']))
    except OSError as e:
        print(json.dumps([cmd.decode(), errno.errorcode[e.errno]]))`,
      [file],
    );
    t.deepEqual(r.results, [['send 1\nx', 'EAGAIN'], ['receive 5', 'ENOMSG']], r.err);
    // cleared: it sleeps (the status counts it), and a send wakes it
    t.is(await m.run('nonblock off'), 'ok');
    await same(t, pair, [{ who: a, cmd: 'rcv 2 10' }], 'sleeps');
    await same(t, pair, [{ who: -1, cmd: 'rcv 0 10' }, { who: -1, cmd: 'snd 2 hi' }], 'woken');
  });
});

test('a sleeping sender or receiver: a signal ends it with EINTR, SIGKILL at once (within 2 s), and it takes nothing, as in the kernel', async (t) => {
  await paired(async (pair) => {
    const [r, s] = [await pair.add(), await pair.add()];
    await same(
      t,
      pair,
      [
        { who: r, cmd: 'rcv 0 10' },
        { who: r, signal: 'SIGUSR1' },
        { who: -1, cmd: 'ipc_set qbytes=2' },
        { who: -1, cmd: 'snd 1 ab' },
        { who: s, cmd: 'snd 1 c' },
        { who: s, signal: 'SIGUSR1' },
        { who: r, cmd: 'rcv 5 10' },
        { who: s, cmd: 'snd 1 c' },
      ],
      'EINTR',
    );
    // SIGKILL: both end at once; nothing was taken, nothing sent
    for (const who of [r, s]) {
      await pair.kernel.apply({ who, signal: 'SIGKILL' });
      const t0 = Date.now();
      await pair.mount.apply({ who, signal: 'SIGKILL' });
      t.true(Date.now() - t0 < 2000, `SIGKILL ended a${who} in ${Date.now() - t0} ms`);
    }
    await same(t, pair, [{ who: -1, cmd: 'rcv 0 10 nowait' }, { who: -1, cmd: 'rcv 0 10 nowait' }], 'after SIGKILL');
  });
});

test('rm (IPC_RMID) while senders and receivers sleep: each gets EIDRM, as the kernel\'s IPC_RMID', async (t) => {
  await paired(async (pair, file) => {
    for (let i = 0; i < 3; i++) await pair.add();
    await same(
      t,
      pair,
      [
        { who: 0, cmd: 'rcv 9 10' },
        { who: 1, cmd: 'rcv 8 10 noerror' },
        { who: -1, cmd: 'ipc_set qbytes=1' },
        { who: -1, cmd: 'snd 1 a' },
        { who: 2, cmd: 'snd 2 b' },
      ],
      'sleepers',
    );
    await pair.kernel.apply({ who: -1, cmd: 'rmid' });
    const kernel = { state: await pair.kernel.settle(), answers: pair.kernel.answers() };
    unlinkSync(file);
    const mount = { state: await pair.mount.settle(), answers: pair.mount.answers() };
    t.deepEqual(kernel.answers, { ctl: ['ok'], 'a0.0': ['err EIDRM'], 'a1.0': ['err EIDRM'], 'a2.0': ['err EIDRM'] });
    const { ctl: _rmid, ...sleepers } = kernel.answers;
    t.deepEqual(mount.answers, sleepers);
    t.deepEqual(mount.state, kernel.state);
    // afterwards the kernel knows the id no more (EINVAL); an open file says EIDRM (documented)
    for (const cmd of ['snd 1 x nowait', 'rcv 0 10 nowait', 'ipc_set mode=0600', 'rmid']) {
      t.deepEqual([await pair.kernel.of(0).run(cmd), await pair.mount.of(0).run(cmd)], ['err EINVAL', 'err EIDRM'], cmd);
    }
  });
});

test('an unread answer: a second receive on the same open file is EBUSY and takes nothing; read, the next receive works', async (t) => {
  const file = mountQueue(daemon!.dir);
  const r = await python(
    `import os, sys, json, errno
fd = os.open(sys.argv[1], os.O_RDWR)
os.write(fd, b'send 1\\none'); os.write(fd, b'send 1\\ntwo')
os.write(fd, b'receive')
def attempt(cmd):
    try:
        os.write(fd, cmd); return 'ok'
    except OSError as e:
        return errno.errorcode[e.errno]
print(json.dumps(['second', attempt(b'receive nowait')]))
print(json.dumps(['status', [l for l in open(sys.argv[1]).read().splitlines() if l.startswith('qnum')]]))
print(json.dumps(['answer', os.read(fd, 100).decode()]))
print(json.dumps(['eof', os.read(fd, 100).decode()]))
print(json.dumps(['third', attempt(b'receive')]))
print(json.dumps(['answer', os.read(fd, 100).decode()]))`,
    [file],
  );
  t.deepEqual(r.results, [
    ['second', 'EBUSY'],
    ['status', ['qnum: 1']],
    ['answer', 'type=1 size=3\none'],
    ['eof', ''],
    ['third', 'ok'],
    ['answer', 'type=1 size=3\ntwo'],
  ], r.err);
});

test('binary texts (NUL, newlines, 0xff, empty, the largest) round trip exactly, also through by-key', async (t) => {
  const file = mountQueue(daemon!.dir, 'msgget 0x00b1a7ee creat mode=0600');
  const r = await python(
    `import os, sys, json
texts = [bytes(range(256)), b'\\n', b'\\n\\n\\x00', b'', b'\\xff' * 8192, b'send 1\\nnot a command\\n']
fd = os.open(sys.argv[1], os.O_RDWR)
for i, x in enumerate(texts):
    os.write(fd, b'send %d\\n' % (i + 1) + x)
by_key = os.open(os.path.join(os.path.dirname(sys.argv[1]), 'by-key', '0x00b1a7ee'), os.O_RDWR)
for i, x in enumerate(texts):
    os.write(by_key, b'receive')
    got = b''
    while True:
        b = os.read(by_key, 65536)
        if not b: break
        got += b
    head, _, body = got.partition(b'\\n')
    print(json.dumps([i, head.decode(), body == x]))`,
    [file],
  );
  t.deepEqual(r.results, [
    [0, 'type=1 size=256', true],
    [1, 'type=2 size=1', true],
    [2, 'type=3 size=3', true],
    [3, 'type=4 size=0', true],
    [4, 'type=5 size=8192', true],
    [5, 'type=6 size=21', true],
  ], r.err);
});

test('poll: POLLIN wakes when a message arrives and POLLOUT when room frees, each within 2 s', async (t) => {
  const file = mountQueue(daemon!.dir);
  const r = await python(
    `import os, sys, json, time, select
path = sys.argv[1]
def waiter(events):
    """a child that polls; the parent acts once it sleeps in poll; the child says how long after."""
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        fd = os.open(path, os.O_RDWR)
        p = select.poll(); p.register(fd, events)
        got = p.poll(5000)
        os.write(wr, json.dumps([time.monotonic(), got[0][1] if got else 0]).encode())
        os._exit(0)
    deadline = time.monotonic() + 5
    while 'poll' not in open('/proc/%d/wchan' % pid).read() and time.monotonic() < deadline:
        time.sleep(0.002)
    return pid, rd
fd = os.open(path, os.O_RDWR)
pid, rd = waiter(select.POLLIN)
sent = time.monotonic(); os.write(fd, b'send 1\\nhello')
woke, ev = json.loads(os.read(rd, 100)); os.waitpid(pid, 0)
print(json.dumps(['POLLIN', bool(ev & select.POLLIN), woke - sent < 2]))
os.write(fd, b'ipc_set qbytes=5')
pid, rd = waiter(select.POLLOUT)
freed = time.monotonic(); os.write(fd, b'receive'); os.read(fd, 100)
woke, ev = json.loads(os.read(rd, 100)); os.waitpid(pid, 0)
print(json.dumps(['POLLOUT', bool(ev & select.POLLOUT), woke - freed < 2]))`,
    [file],
  );
  t.deepEqual(r.results, [
    ['POLLIN', true, true],
    ['POLLOUT', true, true],
  ], r.err);
});

test('msgmax above what one write carries: a longer send is EINVAL and queues nothing (it was queued cut), a shorter one round trips whole', async (t) => {
  await withDaemon(
    async ({ dir }) => {
      const file = mountQueue(dir);
      const r = await python(
        `import os, sys, json, errno
q = os.open(sys.argv[1], os.O_RDWR)
def send(n):
    text = bytes(i % 251 for i in range(n))
    try:
        return os.write(q, b'send 1\\n' + text) - 7, text
    except OSError as e:
        return errno.errorcode[e.errno], text
def state():
    return [l for l in open(sys.argv[1]).read().splitlines() if l.startswith(('cbytes', 'qnum'))]
print(json.dumps(['1.5 MB', send(1500000)[0], state()]))
n, text = send(1000000)
os.write(q, b'receive nowait')
got = b''
while True:
    b = os.read(q, 1 << 20)
    if not b: break
    got += b
head, _, body = got.partition(b'\\n')
print(json.dumps(['1 MB', n, head.decode(), body == text]))`,
        [file],
      );
      t.deepEqual(r.results, [
        ['1.5 MB', 'EINVAL', ['cbytes: 0', 'qnum: 0']],
        ['1 MB', 1000000, 'type=1 size=1000000', true],
      ], r.err);
    },
    { args: ['--limits', 'msgmax=2000000,msgmnb=4000000'] },
  );
});

test('types beyond 2^53 - 1: the kernel takes any long, ipcfs refuses them with EINVAL and changes nothing (a documented difference)', async (t) => {
  await paired(async (pair, file) => {
    const a = await pair.add();
    for (const cmd of ['snd 9007199254740993 x nowait', 'rcv -9223372036854775807 10 nowait']) {
      const k = await pair.kernel.of(a).run(cmd);
      const m = await pair.mount.of(a).run(cmd);
      t.deepEqual([k.startsWith('ok') ? 'ok' : k, m], ['ok', 'err EINVAL'], cmd);
    }
    t.like(parseMsgStatus(readFileSync(file, 'utf8')), { qnum: 0, stime: false, rtime: false });
  });
});

test('a receive on a write-only open is EBADF and takes nothing (its answer could never be read: `echo receive > q` lost a message)', async (t) => {
  const file = mountQueue(daemon!.dir);
  const r = await python(
    `import os, sys, json, errno
q = os.open(sys.argv[1], os.O_RDWR)
os.write(q, b'send 1\\nkeep me')
w = os.open(sys.argv[1], os.O_WRONLY)
for cmd in (b'receive', b'receive undo nowait'):
    try:
        os.write(w, cmd); print(json.dumps([cmd.decode(), 'ok']))
    except OSError as e:
        print(json.dumps([cmd.decode(), errno.errorcode[e.errno]]))
os.write(w, b'send 2\\nwrite-only sends work')
os.close(w)
print(json.dumps(['qnum', [l for l in open(sys.argv[1]).read().splitlines() if l.startswith('qnum')]]))
os.write(q, b'receive')
print(json.dumps(['kept', os.read(q, 100).decode()]))`,
    [file],
  );
  t.deepEqual(r.results, [
    ['receive', 'EBADF'],
    ['receive undo nowait', 'EBADF'],
    ['qnum', ['qnum: 2']],
    ['kept', 'type=1 size=7\nkeep me'],
  ], r.err);
});

for (const kind of ['mqueue', 'semaphores'] as const) {
  test(`poll on a ${kind === 'mqueue' ? 'queue' : 'semaphore set'} that is removed (rm) wakes within 2 s with POLLERR, as a sleeping call gets EIDRM (the kind layer's poll slept on)`, async (t) => {
    const file = kind === 'mqueue' ? mountQueue(daemon!.dir) : semSet(daemon!.dir);
    const r = await python(
      `import os, sys, json, time, select
path = sys.argv[1]
rd, wr = os.pipe()
pid = os.fork()
if pid == 0:
    fd = os.open(path, os.O_RDWR)
    p = select.poll(); p.register(fd, select.POLLIN)
    got = p.poll(5000)
    os.write(wr, json.dumps([time.monotonic(), got[0][1] if got else 0]).encode())
    os._exit(0)
deadline = time.monotonic() + 5
while 'poll' not in open('/proc/%d/wchan' % pid).read() and time.monotonic() < deadline:
    time.sleep(0.002)
removed = time.monotonic(); os.unlink(path)
woke, ev = json.loads(os.read(rd, 100)); os.waitpid(pid, 0)
print(json.dumps(['woke', woke - removed < 2, bool(ev & select.POLLERR), bool(ev & select.POLLIN)]))`,
      [file],
    );
    t.deepEqual(r.results, [['woke', true, true, true]], r.err);
  });
}

test('fchmod and fchown of an open file whose queue was removed are EIDRM, as the ipc_set command (they changed a removed queue and said nothing); so is ack (it said EINVAL)', async (t) => {
  const file = mountQueue(daemon!.dir);
  const r = await python(
    `import os, sys, json, errno
fd = os.open(sys.argv[1], os.O_RDWR)
os.unlink(sys.argv[1])
def attempt(name, f):
    try:
        f(); print(json.dumps([name, 'ok']))
    except OSError as e:
        print(json.dumps([name, errno.errorcode[e.errno]]))
attempt('ipc_set', lambda: os.write(fd, b'ipc_set mode=0644'))
attempt('fchmod', lambda: os.fchmod(fd, 0o644))
attempt('fchown', lambda: os.fchown(fd, 65534, 65534))
attempt('ack', lambda: os.write(fd, b'ack 1'))
attempt('send', lambda: os.write(fd, b'send 1\\nx'))
attempt('receive', lambda: os.write(fd, b'receive undo'))
print(json.dumps(['status', [l for l in os.read(fd, 4096).decode().splitlines() if l.startswith(('owner', 'perms', 'removed'))]]))`,
    [file],
  );
  t.deepEqual(r.results, [
    ['ipc_set', 'EIDRM'],
    ['fchmod', 'EIDRM'],
    ['fchown', 'EIDRM'],
    ['ack', 'EIDRM'],
    ['send', 'EIDRM'],
    ['receive', 'EIDRM'],
    ['status', ['owner: 0', 'perms: 600', 'removed: yes']],
  ], r.err);
});

test('a descriptor shared by fork: while one process sleeps in receive, another\'s receive is EBUSY; once the sleeper is SIGKILLed it takes nothing and the descriptor receives again', async (t) => {
  const file = mountQueue(daemon!.dir);
  const r = await python(
    `import os, sys, json, errno, signal, time
fd = os.open(sys.argv[1], os.O_RDWR)
def attempt(cmd):
    try:
        os.write(fd, cmd); return 'ok'
    except OSError as e:
        return errno.errorcode[e.errno]
pid = os.fork()
if pid == 0:
    os.write(fd, b'receive 7')
    os._exit(0)
deadline = time.monotonic() + 5
while 'receivers: 1' not in open(sys.argv[1]).read() and time.monotonic() < deadline:
    time.sleep(0.002)
print(json.dumps(['while it sleeps', attempt(b'receive nowait')]))
os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
print(json.dumps(['after SIGKILL', attempt(b'receive nowait')]))
os.write(fd, b'send 7\\nfor the next')
print(json.dumps(['send', [l for l in open(sys.argv[1]).read().splitlines() if l.startswith(('qnum', 'receivers'))]]))
print(json.dumps(['receive', attempt(b'receive 7'), os.read(fd, 100).decode()]))`,
    [file],
  );
  t.deepEqual(r.results, [
    ['while it sleeps', 'EBUSY'],
    ['after SIGKILL', 'ENOMSG'],
    ['send', ['qnum: 1', 'receivers: 0']],
    ['receive', 'ok', 'type=7 size=12\nfor the next'],
  ], r.err);
});
