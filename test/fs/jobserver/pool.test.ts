/**
 * A jobserver pool through a real mount, driven as GNU make and the Rust crate drive a pipe:
 * read(1) takes a token, writing its byte gives it back; O_NONBLOCK by fcntl after open: EAGAIN;
 * select/poll wake when a token comes back; a signal ends a blocked read (EINTR) and it takes
 * nothing, SIGKILL at once; tokens of a process that dies come back although the open file it
 * shared lives on; a give by a process that took nothing is refused and the pool never grows; a
 * subshell may give back what its parent took, a thread what another thread took; a released
 * open file gives back what was taken through it; orphaned jobs of a killed holder keep a token
 * under a reaper; permissions at open. Handshakes are the status file's lines.
 */
import { join } from 'node:path';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { runPool } from './pool-python.js';

const test = mountTest();

const PRELUDE = String.raw`
def holders(name):
    h = pstat(name).get('holder', [])
    return [h] if isinstance(h, str) else h
def nonblock(fd):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
`;

const run = (t: Parameters<typeof runPool>[0], dir: string, body: string) => runPool(t, dir, PRELUDE, body);

test('read takes tokens (their bytes), write gives them back; O_NONBLOCK set by fcntl after open: EAGAIN; a blocked read waits and is served in order', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await run(t, dir, String.raw`
p = pool('a', 2)
rfd = os.open(p, os.O_RDONLY)
wfd = os.open(p, os.O_WRONLY)
report('first', take(rfd))
report('asked for 5', take(rfd, 5))
report('status', [pstat('a')['free'], pstat('a')['taken']])
nonblock(rfd)
report('empty, non-blocking', take(rfd))
fcntl.fcntl(rfd, fcntl.F_SETFL, fcntl.fcntl(rfd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
hold_r, hold_w = os.pipe()
def reader(tag):
    pid = os.fork()
    if pid == 0:
        os.close(hold_w)
        f = os.open(p, os.O_RDONLY)
        got = take(f)
        print(json.dumps([tag, got]), flush=True)
        os.read(hold_r, 1)  # holds its token until the parent closes the pipe
        os._exit(0)
    return pid
r1 = reader('reader 1')
wait_for(lambda: pstat('a')['waiting'] == str(r1), 'the first reader to wait')
r2 = reader('reader 2')
wait_for(lambda: pstat('a')['waiting'] == '%d %d' % (r1, r2), 'both readers to wait')
os.write(wfd, b'x')
wait_for(lambda: pstat('a')['waiting'] == str(r2), 'the first reader to be served')
report('holders', sorted(h.split()[0] for h in holders('a')) == sorted(['pid=%d' % os.getpid(), 'pid=%d' % r1]))
os.write(wfd, b'+')
wait_for(lambda: pstat('a')['waiting'] == '', 'the second reader to be served')
os.close(hold_w)
os.waitpid(r1, 0); os.waitpid(r2, 0)
wait_for(lambda: pstat('a')['free'] == '2', 'the readers\' tokens to come back')
report('end', [pstat('a')['free'], pstat('a')['held'], pstat('a')['reclaimed'], pstat('a')['refused']])
`);
    t.is(r.get('first'), '+');
    t.is(r.get('asked for 5'), '+', 'only what is free');
    t.deepEqual(r.get('status'), ['0', '2']);
    t.is(r.get('empty, non-blocking'), 'EAGAIN');
    t.is(r.get('reader 1'), 'x', 'the first waiter gets the byte given back');
    t.true(r.get('holders') as boolean, 'the parent (one token left) and the first reader');
    t.is(r.get('reader 2'), '+');
    // the readers exited holding their tokens: those came back (reclaimed); the writer returned 2
    t.deepEqual(r.get('end'), ['2', '0', '2', '0']);
  });
});

test('select and poll: readable when a token is free, woken when one comes back; writable always', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await run(t, dir, String.raw`
p = pool('s', 1)
fd = os.open(p, os.O_RDWR)
report('free', select.select([fd], [fd], [], 0)[:2] == ([fd], [fd]))
take(fd)
report('none free', select.select([fd], [fd], [], 0)[:2] == ([], [fd]))
pid = os.fork()
if pid == 0:
    f = os.open(p, os.O_RDONLY)
    ep = select.poll(); ep.register(f, select.POLLIN)
    print(json.dumps(['child polls', True]), flush=True)
    t0 = time.monotonic()
    ev = ep.poll(10000)
    print(json.dumps(['woken', [ev[0][1] & select.POLLIN != 0, time.monotonic() - t0 < 5]]), flush=True)
    os._exit(0)
time.sleep(0.2)
os.write(fd, b'+')
os.waitpid(pid, 0)
`);
    t.true(r.get('free') as boolean);
    t.true(r.get('none free') as boolean);
    t.deepEqual(r.get('woken'), [true, true]);
  });
});

test('a signal ends a blocked read with EINTR and it takes nothing; SIGKILL ends one at once; neither blocks the shared open file', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await run(t, dir, String.raw`
p = pool('i', 1)
fd = os.open(p, os.O_RDWR)
take(fd)
class Stop(Exception): pass
def blocked(tag, raise_on_signal):
    pid = os.fork()
    if pid == 0:
        if raise_on_signal:
            def h(s, f): raise Stop()
            signal.signal(signal.SIGUSR1, h)
        try:
            got = os.read(fd, 1).decode()
        except Stop:
            got = 'EINTR'
        print(json.dumps([tag, got]), flush=True)
        os._exit(0)
    return pid
a = blocked('signalled', True)
wait_for(lambda: pstat('i')['waiting'] == str(a), 'the reader to wait')
os.kill(a, signal.SIGUSR1)
os.waitpid(a, 0)
b = blocked('killed', False)
wait_for(lambda: pstat('i')['waiting'] == str(b), 'the second reader to wait')
t0 = time.monotonic()
os.kill(b, signal.SIGKILL)
os.waitpid(b, 0)
report('killed in', time.monotonic() - t0)
report('after', [pstat('i')['waiting'], pstat('i')['free']])
os.write(fd, b'+')
report('the shared file still works', take(fd))
`);
    t.is(r.get('signalled'), 'EINTR');
    t.true((r.get('killed in') as number) < 2);
    t.deepEqual(r.get('after'), ['', '0'], 'no waiter left, no token taken');
    t.is(r.get('the shared file still works'), '+');
  });
});

test('tokens of a process that dies come back at once, though the open file it shared lives on; its own give is not refused', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await run(t, dir, String.raw`
p = pool('d', 3)
fd = os.open(p, os.O_RDWR)
rd, wr = os.pipe()
pid = os.fork()
if pid == 0:
    got = take(fd, 2)
    os.write(fd, got[:1].encode())
    os.write(wr, b'x')
    time.sleep(60)
    os._exit(0)
os.read(rd, 1)
report('holding', [holders('d'), pstat('d')['free']])
os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
wait_for(lambda: pstat('d')['free'] == '3', 'the dead holder\'s token to come back')
report('after', [pstat('d')['reclaimed'], pstat('d')['returned'], pstat('d')['refused'], pstat('d').get('holder')])
`);
    const [h, free] = r.get('holding') as [string[], string];
    t.is(h.length, 1);
    t.regex(h[0]!, /^pid=\d+ tokens=1 comm=python3 cmdline=\S*python3 -c \\x0aimport /, 'the command line with its spaces; a newline escaped');
    t.is(free, '2');
    t.deepEqual(r.get('after'), ['1', '1', '0', null]);
  });
});

test('a give by a process that took nothing (nor its ancestors) is refused: the write succeeds, the pool does not grow; a child may give back its parent\'s token, a thread another thread\'s', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await run(t, dir, String.raw`
p = pool('g', 2)
fd = os.open(p, os.O_RDWR)
report('stranger write', os.write(fd, b'++'))
report('after stranger', [pstat('g')['free'], pstat('g')['refused']])
take(fd)
pid = os.fork()
if pid == 0:
    os.write(fd, b'+')
    os._exit(0)
os.waitpid(pid, 0)
report('child gave parent\'s', [pstat('g')['free'], pstat('g')['returned'], pstat('g').get('holder')])
got = []
th = threading.Thread(target=lambda: got.append(take(fd)))
th.start(); th.join()
report('thread took', [got, len(holders('g'))])
th = threading.Thread(target=lambda: os.write(fd, b'+'))
th.start(); th.join()
report('other thread gave', [pstat('g')['free'], pstat('g')['refused']])
`);
    t.is(r.get('stranger write'), 2);
    t.deepEqual(r.get('after stranger'), ['2', '2']);
    t.deepEqual(r.get('child gave parent\'s'), ['2', '1', null]);
    t.deepEqual(r.get('thread took'), [['+'], 1]);
    t.deepEqual(r.get('other thread gave'), ['2', '2']);
  });
});

test('closing the last descriptor of an open file gives back the tokens taken through it (the process lives on)', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await run(t, dir, String.raw`
p = pool('c', 2)
keep = os.open(p, os.O_RDWR)
fd = os.open(p, os.O_RDONLY)
take(fd, 2)
os.close(fd)
wait_for(lambda: pstat('c')['free'] == '2', 'the release')
report('after close', [pstat('c')['reclaimed'], pstat('c').get('holder')])
`);
    t.deepEqual(r.get('after close'), ['2', null]);
  });
});

test('under a reaper, a killed holder\'s running jobs keep a token each (also the slot its parent gives back) until they end', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await run(t, dir, String.raw`
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
p = pool('o', 2, 'reaper')
report('reaper', pstat('o')['reaper'] == str(os.getpid()))
fd = os.open(p, os.O_RDWR)
ready_r, ready_w = os.pipe()
go_r, go_w = os.pipe()
def job():
    j = os.fork()
    if j == 0:
        os.read(go_r, 1)   # runs until told
        os._exit(0)
    return j
# the parent make (this process) holds a token for its sub-make M; M takes one more and runs two jobs
slot = take(fd)
m = os.fork()
if m == 0:
    take(fd)
    j1 = job(); j2 = job()
    os.write(ready_w, ('%d %d\n' % (j1, j2)).encode())
    time.sleep(60)
    os._exit(0)
jobs = [int(x) for x in os.read(ready_r, 100).split()]
os.kill(m, signal.SIGKILL)
os.waitpid(m, 0)
wait_for(lambda: len(pstat('o').get('orphan', [])) == 2, 'the orphans')
report('orphans', sorted(o.split()[0] for o in pstat('o')['orphan']) == sorted('pid=%d' % j for j in jobs))
report('tokens', [pstat('o')['free'], [o.split()[2] for o in pstat('o')['orphan']]])
os.write(fd, slot.encode())          # the parent gives back M's slot when it reaps M
report('after the slot', [pstat('o')['free'], sorted(o.split()[2] for o in pstat('o')['orphan'])])
os.write(go_w, b'xx')
for j in jobs:
    while True:
        try:
            os.waitpid(j, 0); break
        except ChildProcessError:
            break
wait_for(lambda: 'orphan' not in pstat('o'), 'the orphans to end')
report('end', [pstat('o')['free'], pstat('o')['reclaimed']])
`);
    t.true(r.get('reaper') as boolean);
    t.true(r.get('orphans') as boolean, 'the killed make\'s two running jobs');
    t.deepEqual(r.get('tokens'), ['0', ['tokens=1', 'tokens=0']], 'its one token to the first job; the second waits');
    t.deepEqual(r.get('after the slot'), ['0', ['tokens=1', 'tokens=1']]);
    t.deepEqual(r.get('end'), ['2', '1']);
  });
});

test('permissions are checked at open: another user cannot open a 0600 pool; 0666 lets them take and give', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await run(t, dir, String.raw`
p = pool('u', 1)
os.chmod(p, 0o600)
def as_nobody(path, flags):
    pid = os.fork()
    if pid == 0:
        os.setgroups([]); os.setgid(65534); os.setuid(65534)
        try:
            f = os.open(path, flags)
            got = take(f)
            os.write(f, got.encode())
            r = 'took ' + got
        except OSError as e:
            r = ename(e.errno)
        print(json.dumps(['nobody %o' % (os.stat(path).st_mode & 0o777), r]), flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
as_nobody(p, os.O_RDWR)
os.chmod(p, 0o666)
as_nobody(p, os.O_RDWR)
report('end', [pstat('u')['free'], pstat('u')['refused']])
`);
    t.is(r.get('nobody 600'), 'EACCES');
    t.is(r.get('nobody 666'), 'took +');
    t.deepEqual(r.get('end'), ['1', '0']);
  }, { args: ['--allow-other'] });
});
