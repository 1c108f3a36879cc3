/**
 * A jobserver pool against a hostile user, through a real mount: a pid reused by a new process
 * before the daemon has handled the old one's death never inherits the old process's tokens (nor
 * loses its own); an unprivileged user cannot make the daemon open pidfds without bound (each
 * process that takes tokens costs one, charged as an open file: EMFILE past uid-handles); bad
 * input (over-long and empty writes, offsets, mmap, truncate, writes to the status) changes
 * nothing; command lines with newlines and other bytes keep the status one line per holder.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { runPool } from './pool-python.js';

const test = mountTest();

const PRELUDE = String.raw`
import mmap
def one(name, key):
    v = pstat_lists(name).get(key, [])
    return v[0] if len(v) == 1 else v
def wchan(pid):
    try:
        with open('/proc/%d/wchan' % pid) as f:
            return f.read()
    except OSError:
        return ''
class CloneArgs(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in 'flags pidfd child_tid parent_tid exit_signal stack stack_size tls set_tid set_tid_size cgroup'.split()]
def fork_as_pid(pid):
    """fork() whose child gets exactly this pid (clone3 with set_tid: root only): 0 in the child"""
    tid = (ctypes.c_int * 1)(pid)
    a = CloneArgs(0, 0, 0, 0, signal.SIGCHLD, 0, 0, 0, ctypes.addressof(tid), 1, 0)
    r = libc.syscall(435, ctypes.byref(a), ctypes.sizeof(a))
    if r < 0:
        raise OSError(ctypes.get_errno(), 'clone3(set_tid=%d)' % pid)
    return r
`;

const run = (t: Parameters<typeof runPool>[0], dir: string, body: string, args: string[] = []) => runPool(t, dir, PRELUDE, body, args);

test('a pid reused before the daemon handled the old holder\'s death: the new process neither inherits the old one\'s tokens nor loses its own', async (t) => {
  await withDaemon(async ({ dir, child }) => {
    const r = await run(t, dir, String.raw`
daemon = int(sys.argv[3])
p = pool('r', 2)
fd = os.open(p, os.O_RDWR)
rd, wr = os.pipe()
x = os.fork()
if x == 0:
    take(fd)
    # no descriptor of the mount at its death: its exit must not wait for the stopped daemon (FLUSH)
    os.close(fd)
    os.write(wr, b'x')
    time.sleep(60)
    os._exit(0)
os.read(rd, 1)
report('old holder', one('r', 'holder').split()[:2] == ['pid=%d' % x, 'tokens=1'])
# The daemon stops; a request (an open of the status) waits in /dev/fuse; the old holder dies and
# is reaped; a new process gets its pid and asks for a token. The daemon resumes with the request
# queue ahead of the old pidfd's wake-up: it reads the new process's request before it is told of
# the old one's death.
os.kill(daemon, signal.SIGSTOP)
try:
    q = os.fork()
    if q == 0:
        status_text(statusdir + '/r')
        os._exit(0)
    wait_for(lambda: 'request_wait_answer' in wchan(q), 'the status open to wait in FUSE')
    os.kill(x, signal.SIGKILL)
    os.waitpid(x, 0)
    y = fork_as_pid(x)
    if y == 0:
        got = take(fd)
        os.write(wr, got.encode())
        time.sleep(60)
        os._exit(0)
    wait_for(lambda: 'request_wait_answer' in wchan(y), 'the new process to wait in FUSE')
finally:
    os.kill(daemon, signal.SIGCONT)
report('new process took', os.read(rd, 1).decode())
os.waitpid(q, 0)
wait_for(lambda: one('r', 'reclaimed') != '0', 'the old holder\'s death')
report('after', [one('r', 'free'), one('r', 'reclaimed'), [h.split()[:2] for h in pstat_lists('r').get('holder', [])] == [['pid=%d' % y, 'tokens=1']]])
os.kill(y, signal.SIGKILL)
os.waitpid(y, 0)
wait_for(lambda: one('r', 'free') == '2', 'the new process\'s token to come back')
report('end', [one('r', 'reclaimed'), one('r', 'refused')])
`, [String(child.pid)]);
    t.true(r.get('old holder') as boolean);
    t.is(r.get('new process took'), '+');
    // the old holder's token came back; the new process (same pid) still holds its own
    t.deepEqual(r.get('after'), ['1', '1', true]);
    t.deepEqual(r.get('end'), ['2', '0'], 'each death reclaimed one token, nothing refused');
  });
});

test('each process that takes tokens costs the daemon a pidfd, charged as an open file: past uid-handles a read is refused with EMFILE and takes nothing; the daemon\'s descriptors stay bounded', async (t) => {
  await withDaemon(async ({ dir, child }) => {
    const r = await run(t, dir, String.raw`
daemon = int(sys.argv[3])
fds = lambda: len(os.listdir('/proc/%d/fd' % daemon))
p = pool('n', 40)
before = fds()
go_r, go_w = os.pipe()
res_r, res_w = os.pipe()
boss = os.fork()
if boss == 0:
    os.setgroups([]); os.setgid(65534); os.setuid(65534)
    fd = os.open(p, os.O_RDONLY)      # one open file: 1 of nobody's 8
    os.close(go_w)
    for i in range(20):
        if os.fork() == 0:
            os.write(res_w, (take(fd) + '\n').encode())
            os.read(go_r, 1)          # holds what it took until the pipe closes
            os._exit(0)
    try:
        while True:
            os.wait()
    except ChildProcessError:
        pass
    again = take(fd)                  # the watches were given back with their processes
    os.write(res_w, ('again:' + again + '\n').encode())
    os._exit(0)
os.close(go_r)
got = []
while len(got) < 20:
    got += os.read(res_r, 4096).decode().split()
report('nobody took', [sorted(set(got)), got.count('+')])
report('while held', [one('n', 'free'), len(pstat_lists('n').get('holder', [])), fds() - before])
os.close(go_w)
tail = b''
while b'again' not in tail or not tail.endswith(b'\n'):
    tail += os.read(res_r, 4096)
report('again', tail.decode().split('again:')[1].strip())
os.waitpid(boss, 0)
wait_for(lambda: one('n', 'free') == '40', 'the tokens to come back')
report('end', [one('n', 'reclaimed'), one('n', 'refused'), fds() - before])
`, [String(child.pid)]);
    const [kinds, plus] = r.get('nobody took') as [string[], number];
    t.deepEqual(kinds, ['+', 'EMFILE'], 'some reads refused');
    t.is(plus, 7, '8 open files for nobody: the pool\'s open file and 7 watched processes');
    const [free, holders, grown] = r.get('while held') as [string, number, number];
    t.is(free, '33', 'a refused read took nothing');
    t.is(holders, 7);
    t.true(grown <= 8, `the daemon's descriptors grew by ${grown}`);
    t.is(r.get('again'), '+');
    t.deepEqual((r.get('end') as unknown[]).slice(0, 2), ['8', '0']);
  }, { args: ['--allow-other', '--limits', 'uid-handles=8'] });
});

test('bad input changes nothing: 1 MiB written by a process holding nothing is refused and counted, 0 bytes, offsets, mmap, the status opened for writing; a command line with newlines keeps one status line per holder', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await run(t, dir, String.raw`
p = pool('b', 2)
fd = os.open(p, os.O_RDWR)
report('1 MiB', os.write(fd, b'+' * (1 << 20)))
report('0 bytes', [os.write(fd, b''), os.read(fd, 0).decode()])
report('offsets', [err(lambda: os.lseek(fd, 5, 0)), err(lambda: os.pread(fd, 1, 3)), err(lambda: os.pwrite(fd, b'+', 3))])
report('mmap', err(lambda: mmap.mmap(fd, 4096)))
report('status for writing', [err(lambda: os.open(statusdir + '/b', os.O_WRONLY)), err(lambda: os.open(statusdir + '/b', os.O_RDWR))])
prog = "import os,sys,time\nf=os.open(sys.argv[1],os.O_RDONLY)\nos.read(f,1)\nprint('ok',flush=True)\ntime.sleep(30)"
c = subprocess.Popen([sys.executable, '-c', prog, p, 'a\nholder: pid=1 tokens=99\n', 'x' * 5000], stdout=subprocess.PIPE)
c.stdout.readline()
lines = pstat_lists('b')
report('holders', [len(lines['holder']), r'\x0a' in lines['holder'][0], len(lines['holder'][0]) < 400])
c.kill(); c.wait()
wait_for(lambda: one('b', 'free') == '2', 'the token to come back')
report('end', [one('b', 'free'), one('b', 'taken'), one('b', 'refused'), one('b', 'reclaimed')])
`);
    t.is(r.get('1 MiB'), 1048576, 'make exits when a jobserver write fails: it succeeds');
    t.deepEqual(r.get('0 bytes'), [0, '']);
    t.deepEqual(r.get('offsets'), ['ESPIPE', 'ESPIPE', 'ESPIPE']);
    t.is(r.get('mmap'), 'ENODEV');
    t.deepEqual(r.get('status for writing'), ['EACCES', 'EACCES']);
    t.deepEqual(r.get('holders'), [1, true, true], 'one line: the newlines (a forged "holder:" line) escaped, the command line cut');
    t.deepEqual(r.get('end'), ['2', '1', '1048576', '1']);
  });
});
