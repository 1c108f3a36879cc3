/**
 * One open file description shared by processes (fork) and threads: every user of it can read,
 * post and block at the same time, and SIGKILL ends any of them at once (docs/architecture.md,
 * "Kernel behaviour": command files are streams with parallel direct writes).
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

/**
 * Python helpers shared by the scenarios: every wait has a deadline, so on a kernel path that
 * blocks the script reports `false` instead of hanging; cleanup SIGKILLs its own children.
 */
const PRELUDE = String.raw`
import os, sys, time, json, signal, threading
path = sys.argv[1]
kids = []
def report(name, value):
    print(json.dumps([name, value]), flush=True)
def field(name):
    # a fresh open by path: its own kernel inode, so this handshake never queues behind the shared one
    with open(path) as f:
        for line in f:
            if line.startswith(name + ': '):
                return line.split(': ', 1)[1].strip()
def until(check, secs=2.0):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if check(): return True
        time.sleep(0.01)
    return check()
def reaped(pid, secs=2.0):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        p, status = os.waitpid(pid, os.WNOHANG)
        if p: return status
        time.sleep(0.005)
    return None
def child(fn):
    pid = os.fork()
    if pid == 0:
        try:
            fn(); os._exit(0)
        except OSError as e:
            os._exit(100 + e.errno)
    kids.append(pid)
    return pid
def cleanup():
    for pid in kids:
        try: os.kill(pid, signal.SIGKILL)
        except ProcessLookupError: pass
    for pid in kids:
        try: os.waitpid(pid, 0)
        except ChildProcessError: pass
`;

test('processes sharing one description read, post and block at once; a post wakes a waiter; SIGKILL ends any of them', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'unnamed', create(join(dir, 'semaphores', 'unnamed', '.new'), 'create value=0'));
    const r = await python(PRELUDE + String.raw`
fd = os.open(path, os.O_RDWR)
try:
    waiters = [child(lambda: os.write(fd, b'wait')) for _ in range(3)]
    report('three waiters blocked', until(lambda: field('ncnt') == '3', 5))
    # blocked in the daemon (interruptible), none in the kernel's position or inode lock (D state)
    report('each waits for the daemon\'s answer', all(open('/proc/%d/wchan' % p).read() == 'request_wait_answer' for p in waiters))
    reader = child(lambda: os.read(fd, 4096))
    report('a plain read on the shared description returns', reaped(reader) == 0)
    poster = child(lambda: os.write(fd, b'post'))
    report('a post on it returns', reaped(poster) == 0)
    report('and wakes one waiter', until(lambda: field('ncnt') == '2' and field('value') == '0'))
    # ncnt drops when the daemon answers; the woken process exits a moment later: reap until one has
    woken = []
    def one_reaped():
        woken.extend(p for p in waiters if p not in woken and os.waitpid(p, os.WNOHANG)[0])
        return len(woken) >= 1
    until(one_reaped, 5)
    report('one waiter exited', len(woken) == 1)
    blocked = [p for p in waiters if p not in woken]
    os.kill(blocked[0], signal.SIGKILL)
    report('a SIGKILLed waiter ends at once', reaped(blocked[0]) is not None)
    poster2 = child(lambda: os.write(fd, b'post\n'))
    report('a bystander posting while another is killed returns', reaped(poster2) == 0)
    report('the last waiter got that unit', reaped(blocked[1]) == 0)
    again = child(lambda: os.write(fd, b'wait'))
    report('blocked again', until(lambda: field('ncnt') == '1'))
    stuck_reader = child(lambda: [os.read(fd, 1) for _ in range(10 ** 6)])
    time.sleep(0.05)
    os.kill(stuck_reader, signal.SIGKILL)
    report('a SIGKILLed reader ends at once', reaped(stuck_reader) is not None)
    reopen = child(lambda: os.write(os.open('/proc/self/fd/%d' % fd, os.O_RDWR), b'post'))
    report('a reopen through /proc/self/fd posts at once', reaped(reopen) == 0)
    report('and wakes the waiter', reaped(again) == 0)
    pw = child(lambda: os.pwrite(fd, b'post', 0))
    status = reaped(pw)
    report('pwrite', os.WEXITSTATUS(status) - 100 if status is not None else 'blocked')
finally:
    cleanup()
`, [f]);
    for (const [name, value] of r.results) {
      if (name === 'pwrite') t.is(value, 29, 'pwrite on a stream: ESPIPE');
      else t.true(value, `${name}\n${r.err}`);
    }
    t.is(r.results.length, 14, r.out + r.err);
  });
});

test('threads sharing one description: one waits while another reads and posts; no deadlock', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'unnamed', create(join(dir, 'semaphores', 'unnamed', '.new'), 'create value=0'));
    const r = await python(PRELUDE + String.raw`
fd = os.open(path, os.O_RDWR)
done = []
def waiter():
    os.write(fd, b'wait'); done.append(1)
ths = [threading.Thread(target=waiter, daemon=True) for _ in range(4)]
for th in ths: th.start()
report('four threads blocked', until(lambda: field('ncnt') == '4', 5))
got = []
reader = threading.Thread(target=lambda: got.append(os.read(fd, 4096)), daemon=True); reader.start(); reader.join(2)
report('a thread reads the status', not reader.is_alive() and got[0].startswith(b'id: '))
for _ in range(4):
    poster = threading.Thread(target=lambda: os.write(fd, b'post'), daemon=True); poster.start(); poster.join(2)
    if poster.is_alive(): break
report('threads post', not poster.is_alive())
for th in ths: th.join(2)
report('every waiting thread woke', len(done) == 4)
`, [f]);
    for (const [name, value] of r.results) t.true(value, `${name}\n${r.err}`);
    t.is(r.results.length, 4, r.out + r.err);
  });
});

test('wait timeout=3 on a shared description: a post through it returns at once and the waiter gets the unit', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'unnamed', create(join(dir, 'semaphores', 'unnamed', '.new'), 'create value=0'));
    const r = await python(PRELUDE + String.raw`
fd = os.open(path, os.O_RDWR)
try:
    w = child(lambda: os.write(fd, b'wait timeout=3'))
    report('blocked', until(lambda: field('ncnt') == '1'))
    t0 = time.monotonic(); os.write(fd, b'post'); dt = time.monotonic() - t0
    report('the post returned within 1 s', dt < 1)
    report('the waiter got the unit (exit 0, not ETIMEDOUT)', reaped(w) == 0)
    report('value 0', field('value') == '0')
finally:
    cleanup()
`, [f]);
    for (const [name, value] of r.results) t.true(value, `${name}\n${r.err}`);
    t.is(r.results.length, 4, r.out + r.err);
  });
});
