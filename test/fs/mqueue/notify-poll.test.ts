/**
 * mq_notify and poll(2) through a real mount: one registrant (EBUSY for another process), the
 * signal delivered once when a message arrives on an empty queue with no receiver waiting (the
 * registrant takes it with sigtimedwait: the handshake), not when a receiver waits, the
 * registration dropped with the registrant's open file and never signalling a process that only
 * reuses the registrant's pid; POLLIN and POLLOUT, and poll and select woken within 2 s.
 */
import { join } from 'node:path';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { runPython } from './mq-python.js';

const test = mountTest();

test('notify: one registrant, EBUSY for another process, fires once on an empty queue with no receiver waiting, dropped at release', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
named = sys.argv[1]
q = named + '/n'
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGUSR2})
fd = os.open(q, os.O_RDWR | os.O_CREAT, 0o600)
def in_child(fn):
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(wr, json.dumps(fn()).encode())
        os._exit(0)
    os.close(wr)
    out = os.read(rd, 65536)
    os.waitpid(pid, 0)
    return json.loads(out)
def first():
    return status_text(q).splitlines()[0].split()
def send_from_another_process(m):
    return in_child(lambda: attempt(os.open(q, os.O_WRONLY), b'send\n' + m))
def taken(sig, timeout):
    i = signal.sigtimedwait({sig}, timeout)
    return None if i is None else i.si_signo
report('register', attempt(fd, b'notify'))
report('line', first())
report('another process', in_child(lambda: attempt(os.open(q, os.O_RDWR), b'notify')))
report('another open file here', attempt(os.open(q, os.O_RDWR), b'notify'))
report('unnotify by another open file', [attempt(os.open(q, os.O_RDWR), b'unnotify'), first()[3]])
report('bad signals', [attempt(fd, b'notify signal=65'), attempt(fd, b'notify signal=x'), attempt(fd, b'notify bogus')])
report('send', send_from_another_process(b'one'))
report('signal', taken(signal.SIGUSR1, 2))
report('line after firing', first())
report('second send', send_from_another_process(b'two'))
report('no second signal', taken(signal.SIGUSR1, 0))
# registered while messages wait: a send to a non-empty queue does not fire
report('register SIGUSR2', attempt(fd, b'notify signal=12'))
send_from_another_process(b'three')
report('not empty: no signal', taken(signal.SIGUSR2, 0))
for _ in range(3):
    recv(fd)
# a receiver waits: the message goes to it, nobody is notified
pid = os.fork()
if pid == 0:
    f = os.open(q, os.O_RDWR)
    os._exit(0 if attempt(f, b'receive') == 'ok' else 1)
wait_for(lambda: status(q)['receivers'] == str(pid), 'the receiver to wait')
send_from_another_process(b'four')
report('receiver got it', os.waitpid(pid, 0)[1])
report('receiver waited: no signal', [taken(signal.SIGUSR2, 0), first()[3]])
send_from_another_process(b'five')
report('now it fires', [taken(signal.SIGUSR2, 2), first()[3]])
recv(fd)
# the registration goes with the registrant's open file
report('register again', attempt(fd, b'notify'))
os.close(fd)
wait_for(lambda: first()[3] == 'NOTIFY_PID:0', 'the registration to go with the released file')
report('someone else registers', in_child(lambda: [attempt(os.open(q, os.O_RDWR), b'notify'), first()[3] == 'NOTIFY_PID:%d' % os.getpid()]))
report('mypid', os.getpid())
`, [join(dir, 'mqueue', 'named')]);
    const pid = r.get('mypid') as number;
    t.is(r.get('register'), 'ok');
    t.deepEqual(r.get('line'), ['QSIZE:0', 'NOTIFY:0', 'SIGNO:10', `NOTIFY_PID:${pid}`]);
    t.is(r.get('another process'), 'EBUSY');
    t.is(r.get('another open file here'), 'EBUSY');
    t.deepEqual(r.get('unnotify by another open file'), ['ok', `NOTIFY_PID:${pid}`]);
    t.deepEqual(r.get('bad signals'), ['EINVAL', 'EINVAL', 'EINVAL']);
    t.is(r.get('send'), 'ok');
    t.is(r.get('signal'), 10);
    t.deepEqual(r.get('line after firing'), ['QSIZE:3', 'NOTIFY:0', 'SIGNO:0', 'NOTIFY_PID:0']);
    t.is(r.get('second send'), 'ok');
    t.is(r.get('no second signal'), null);
    t.is(r.get('register SIGUSR2'), 'ok');
    t.is(r.get('not empty: no signal'), null);
    t.is(r.get('receiver got it'), 0);
    t.deepEqual(r.get('receiver waited: no signal'), [null, `NOTIFY_PID:${pid}`]);
    t.deepEqual(r.get('now it fires'), [12, 'NOTIFY_PID:0']);
    t.is(r.get('register again'), 'ok');
    t.deepEqual(r.get('someone else registers'), ['ok', true]);
  });
});

test('notify never signals another process that reuses the pid of a registrant gone while its open file lives on', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
named = sys.argv[1]
q = named + '/reuse'
os.close(os.open(q, os.O_RDWR | os.O_CREAT, 0o600))
keep_r, keep_w = os.pipe()
info_r, info_w = os.pipe()
registrant = os.fork()
if registrant == 0:
    # registers SIGKILL for itself, leaves its open file to a child of its own, and exits
    f = os.open(q, os.O_RDWR)
    r = attempt(f, b'notify signal=9')
    if os.fork() == 0:
        os.close(keep_w)
        os.read(keep_r, 1)
        os._exit(0)
    os.write(info_w, r.encode())
    os._exit(0)
report('registered', os.read(info_r, 100).decode())
os.waitpid(registrant, 0)
report('still registered', status_text(q).split()[3] == 'NOTIFY_PID:%d' % registrant)
# a new process with the registrant's pid (ns_last_pid), waiting for the parent's word
victim = None
for attempt_no in range(200):
    with open('/proc/sys/kernel/ns_last_pid', 'w') as f:
        f.write(str(registrant - 1))
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(go_w)  # else its own write end keeps it from ever seeing end of file
        os.read(go_r, 1)
        os._exit(0)
    os.close(go_r)
    if pid == registrant:
        victim = (pid, go_w)
        break
    os.close(go_w)
    os.waitpid(pid, 0)
report('pid reused', victim is not None)
if victim:
    report('send', attempt(os.open(q, os.O_WRONLY), b'send\nboom'))
    os.write(victim[1], b'x')
    _, st = os.waitpid(victim[0], 0)
    report('victim', 'killed by %d' % os.WTERMSIG(st) if os.WIFSIGNALED(st) else 'exit %d' % os.WEXITSTATUS(st))
os.close(keep_w)
`, [join(dir, 'mqueue', 'named')]);
    t.is(r.get('registered'), 'ok');
    t.true(r.get('still registered'), 'the open file lives on in the registrant\'s child');
    t.true(r.get('pid reused'), 'a process got the registrant\'s pid');
    t.is(r.get('send'), 'ok');
    t.is(r.get('victim'), 'exit 0', 'the daemon did not SIGKILL an unrelated process');
  });
});

test('poll and select: POLLIN when a message waits, POLLOUT when there is room; a sleeping poller wakes within 2 s', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
named = sys.argv[1]
clone(named + '/.new', 'create p maxmsg=1 msgsize=16')
q = named + '/p'
fd = os.open(q, os.O_RDWR)
def events(f):
    p = select.poll()
    p.register(f, select.POLLIN | select.POLLOUT)
    return sorted(n for n, b in [('IN', select.POLLIN), ('OUT', select.POLLOUT)] for _, ev in p.poll(0) if ev & b)
report('empty', events(fd))
attempt(fd, b'send\nx')
report('full', events(fd))
report('select full', [len(x) for x in select.select([fd], [fd], [], 0)[:2]])
recv(fd, b'receive undo')
report('held: neither', events(fd))
attempt(fd, b'ack 1')
def poller(ev, use_select):
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        f = os.open(q, os.O_RDWR)
        t0 = time.monotonic()
        if use_select:
            r, w, _ = select.select([f] if ev == 'IN' else [], [f] if ev == 'OUT' else [], [], 10)
            got = bool(r or w)
        else:
            p = select.poll()
            p.register(f, select.POLLIN if ev == 'IN' else select.POLLOUT)
            got = bool(p.poll(10000))
        os.write(wr, json.dumps([got, time.monotonic()]).encode())
        os._exit(0)
    os.close(wr)
    return pid, rd
def woken(pid, rd, act):
    wait_for(lambda: 'poll' in open('/proc/%d/wchan' % pid).read() or 'select' in open('/proc/%d/wchan' % pid).read(), 'the poller to sleep')
    t0 = time.monotonic()
    act()
    got, t1 = json.loads(os.read(rd, 100))
    os.waitpid(pid, 0)
    return [got, t1 - t0 < 2]
for use_select in (False, True):
    name = 'select' if use_select else 'poll'
    pid, rd = poller('IN', use_select)
    report(name + ' IN', woken(pid, rd, lambda: attempt(os.open(q, os.O_WRONLY), b'send\nwake')))
    pid, rd = poller('OUT', use_select)
    report(name + ' OUT', woken(pid, rd, lambda: recv(fd)))
`, [join(dir, 'mqueue', 'named')]);
    t.deepEqual(r.get('empty'), ['OUT']);
    t.deepEqual(r.get('full'), ['IN']);
    t.deepEqual(r.get('select full'), [1, 0]);
    t.deepEqual(r.get('held: neither'), []);
    for (const k of ['poll IN', 'poll OUT', 'select IN', 'select OUT']) t.deepEqual(r.get(k), [true, true], k);
  });
});
