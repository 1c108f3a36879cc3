/**
 * Waiting through a real mount: a send on a full queue and a receive on an empty one wait until the
 * other side makes room or a message (the status's `senders:`/`receivers:` lines are the
 * handshake); O_NONBLOCK at open or set later by fcntl: EAGAIN; `timeout=`: ETIMEDOUT; a signal:
 * EINTR and nothing taken; SIGKILL ends a waiter at once and it takes nothing; a waiter blocks
 * nobody, also through the same open file description (a forked child and a thread).
 */
import { join } from 'node:path';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { runPython } from './mq-python.js';

const test = mountTest();

test('a blocked receive is woken by a send, a blocked send by a receive; each side shows in the status while it waits', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
named = sys.argv[1]
clone(named + '/.new', 'create w maxmsg=2 msgsize=16')
q = named + '/w'
fd = os.open(q, os.O_RDWR)
def child(cmd):
    pid = os.fork()
    if pid == 0:
        f = os.open(q, os.O_RDWR)
        r = attempt(f, cmd)
        if r == 'ok' and cmd.startswith(b'receive'):
            r = os.read(f, 100).decode()
        os.write(1, (json.dumps(['child', r]) + '\n').encode())
        os._exit(0)
    return pid
pid = child(b'receive')
wait_for(lambda: status(q)['receivers'] == str(pid), 'the receiver to wait')
t0 = time.monotonic()
attempt(fd, b'send prio=4\nwake up')
os.waitpid(pid, 0)
report('receiver woke in', time.monotonic() - t0)
report('after receive', [status(q)['curmsgs'], status(q)['receivers']])
attempt(fd, b'send\none')
attempt(fd, b'send\ntwo')
pid = child(b'send prio=9\nthree')
wait_for(lambda: status(q)['senders'] == str(pid), 'the sender to wait')
report('waiting sender', [status(q)['curmsgs'], status(q)['senders']])
t0 = time.monotonic()
report('first', recv(fd)[1].decode())
os.waitpid(pid, 0)
report('sender woke in', time.monotonic() - t0)
report('rest', [recv(fd)[1].decode(), recv(fd)[1].decode()])
report('end', [status(q)['curmsgs'], status(q)['senders']])
`, [join(dir, 'mqueue', 'named')]);
    t.true((r.get('receiver woke in') as number) < 2);
    t.deepEqual(r.get('after receive'), ['0', '']);
    t.is(r.get('child'), 'ok');
    t.is((r.get('waiting sender') as string[])[0], '2');
    t.regex((r.get('waiting sender') as string[])[1]!, /^\d+$/);
    t.is(r.get('first'), 'one');
    t.true((r.get('sender woke in') as number) < 2);
    t.deepEqual(r.get('rest'), ['three', 'two'], 'the waiting sender\'s prio=9 message entered the queue');
    t.deepEqual(r.get('end'), ['0', '']);
  });
});

test('O_NONBLOCK at open and set later by fcntl: EAGAIN; timeout=: ETIMEDOUT; nothing changes', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
import fcntl
named = sys.argv[1]
clone(named + '/.new', 'create nb maxmsg=1 msgsize=16')
q = named + '/nb'
nb = os.open(q, os.O_RDWR | os.O_NONBLOCK)
report('receive empty, O_NONBLOCK at open', attempt(nb, b'receive'))
report('receive undo empty, O_NONBLOCK at open', attempt(nb, b'receive undo timeout=5'))
report('send', attempt(nb, b'send\nfirst'))
report('send full, O_NONBLOCK at open', attempt(nb, b'send\nsecond'))
fd = os.open(q, os.O_RDWR)
fl = fcntl.fcntl(fd, fcntl.F_GETFL)
fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)
report('send full, O_NONBLOCK by fcntl', attempt(fd, b'send\nsecond'))
fcntl.fcntl(fd, fcntl.F_SETFL, fl)
t0 = time.monotonic()
report('send full, timeout', attempt(fd, b'send timeout=0.3\nsecond'))
report('send waited', time.monotonic() - t0)
report('queue', [status(q)['curmsgs'], status(q)['senders']])
report('receive', recv(fd)[1].decode())
fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)
report('receive empty, O_NONBLOCK by fcntl', attempt(fd, b'receive'))
fcntl.fcntl(fd, fcntl.F_SETFL, fl)
t0 = time.monotonic()
report('receive empty, timeout', attempt(fd, b'receive timeout=0.3'))
report('receive waited', time.monotonic() - t0)
report('timeout=0', attempt(fd, b'receive timeout=0'))
report('bad timeouts', [attempt(fd, b'receive timeout=-1'), attempt(fd, b'receive timeout=x'), attempt(fd, b'receive timeout=')])
report('end', [status(q)['curmsgs'], status(q)['receivers'], status_text(q).split()[0]])
`, [join(dir, 'mqueue', 'named')]);
    t.is(r.get('receive empty, O_NONBLOCK at open'), 'EAGAIN');
    t.is(r.get('receive undo empty, O_NONBLOCK at open'), 'EAGAIN');
    t.is(r.get('send'), 'ok');
    t.is(r.get('send full, O_NONBLOCK at open'), 'EAGAIN');
    t.is(r.get('send full, O_NONBLOCK by fcntl'), 'EAGAIN');
    t.is(r.get('send full, timeout'), 'ETIMEDOUT');
    const sent = r.get('send waited') as number;
    t.true(sent >= 0.29 && sent < 2, `waited ${sent} s`);
    t.deepEqual(r.get('queue'), ['1', '']);
    t.is(r.get('receive'), 'first');
    t.is(r.get('receive empty, O_NONBLOCK by fcntl'), 'EAGAIN');
    t.is(r.get('receive empty, timeout'), 'ETIMEDOUT');
    const got = r.get('receive waited') as number;
    t.true(got >= 0.29 && got < 2, `waited ${got} s`);
    t.is(r.get('timeout=0'), 'ETIMEDOUT');
    t.deepEqual(r.get('bad timeouts'), ['EINVAL', 'EINVAL', 'EINVAL']);
    t.deepEqual(r.get('end'), ['0', '', 'QSIZE:0']);
  });
});

test('a signal interrupts a blocked send or receive (EINTR) and SIGKILL ends it at once: neither takes anything', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
named = sys.argv[1]
clone(named + '/.new', 'create sig maxmsg=1 msgsize=16')
q = named + '/sig'
fd = os.open(q, os.O_RDWR)
def child(cmd):
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rd)
        signal.signal(signal.SIGUSR1, lambda *a: None)
        f = os.open(q, os.O_RDWR)
        os.write(wr, (raw_write(f, cmd) + '\n').encode())
        os._exit(0)
    os.close(wr)
    return pid, rd
def waiting(kind, pid):
    wait_for(lambda: status(q)[kind] == str(pid), kind + ' ' + str(pid))
# a receive on the empty queue
pid, rd = child(b'receive')
waiting('receivers', pid)
os.kill(pid, signal.SIGUSR1)
report('receive, signal', os.read(rd, 100).decode().strip())
os.waitpid(pid, 0)
report('receivers after EINTR', status(q)['receivers'])
pid, rd = child(b'receive undo')
waiting('receivers', pid)
t0 = time.monotonic()
os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
report('receive killed in', time.monotonic() - t0)
wait_for(lambda: status(q)['receivers'] == '', 'the killed receiver to go')
attempt(fd, b'send\nkept')
report('message after the receivers', [status(q)['curmsgs'], recv(fd)[1].decode()])
# a send on the full queue
attempt(fd, b'send prio=1\nfull')
pid, rd = child(b'send prio=5\nintruder')
waiting('senders', pid)
os.kill(pid, signal.SIGUSR1)
report('send, signal', os.read(rd, 100).decode().strip())
os.waitpid(pid, 0)
pid, rd = child(b'send prio=6\nkilled')
waiting('senders', pid)
t0 = time.monotonic()
os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
report('send killed in', time.monotonic() - t0)
wait_for(lambda: status(q)['senders'] == '', 'the killed sender to go')
report('queue after the senders', [status(q)['curmsgs'], recv(fd)[1].decode(), attempt(fd, b'receive timeout=0')])
`, [join(dir, 'mqueue', 'named')]);
    t.is(r.get('receive, signal'), 'EINTR');
    t.is(r.get('receivers after EINTR'), '');
    t.true((r.get('receive killed in') as number) < 2);
    t.deepEqual(r.get('message after the receivers'), ['1', 'kept']);
    t.is(r.get('send, signal'), 'EINTR');
    t.true((r.get('send killed in') as number) < 2);
    t.deepEqual(r.get('queue after the senders'), ['1', 'full', 'ETIMEDOUT']);
  });
});

test('blocked callers block nobody: a forked child and a thread wait on one open file description while others read, send and ack through it', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
named = sys.argv[1]
clone(named + '/.new', 'create shared maxmsg=1 msgsize=16')
q = named + '/shared'
holder = os.open(q, os.O_RDWR)
attempt(holder, b'send\nheld')
h, _ = recv(holder, b'receive undo')
# the queue is now empty (nothing queued) and full (its one slot is held)
fd = os.open(q, os.O_RDWR)
pid = os.fork()
if pid == 0:
    r = attempt(fd, b'receive')
    a = os.read(fd, 100).decode() if r == 'ok' else r
    os.write(1, (json.dumps(['child got', a]) + '\n').encode())
    os._exit(0)
wait_for(lambda: status(q)['receivers'] == str(pid), 'the child to wait')
res = {}
th = threading.Thread(target=lambda: res.update(send=attempt(fd, b'send prio=2\nfrom the thread')))
th.start()
wait_for(lambda: status(q)['senders'] == str(os.getpid()), 'the thread to wait')
# both wait on fd: the same description still serves its other users
report('status through fd', [l for l in os.read(fd, 65536).decode().splitlines() if l.startswith(('senders', 'receivers', 'held'))])
other = os.open(q, os.O_RDWR | os.O_NONBLOCK)
report('another open', attempt(other, b'send\nx'))
report('ack frees the slot', attempt(holder, b'ack ' + h['id'].encode()))
th.join(5)
os.waitpid(pid, 0)
report('thread', res.get('send'))
report('end', [status(q)['curmsgs'], status(q)['senders'], status(q)['receivers']])
`, [join(dir, 'mqueue', 'named')]);
    const seen = r.get('status through fd') as string[];
    t.is(seen.length, 3);
    t.regex(seen[0]!, /^senders: \d+$/);
    t.regex(seen[1]!, /^receivers: \d+$/);
    t.regex(seen[2]!, /^held: id=1 prio=0 size=4 pid=\d+ comm=python3$/);
    t.is(r.get('another open'), 'EAGAIN', 'the queue is full: held messages take room');
    t.is(r.get('ack frees the slot'), 'ok');
    t.is(r.get('thread'), 'ok');
    t.is(r.get('child got'), 'prio=2 size=15\nfrom the thread');
    t.deepEqual(r.get('end'), ['0', '', '']);
  });
});
