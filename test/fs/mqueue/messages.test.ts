/**
 * Messages through a real mount: binary-safe sends and receives (zero length, NULs, newlines,
 * 0xff, exactly msgsize, msgsize + 1), the order of priorities and of arrivals compared with the
 * kernel's own POSIX queue on the same random sequence, the status's first line compared with the
 * kernel's /dev/mqueue line for the same content, and the errnos of bad calls.
 */
import { join } from 'node:path';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { runPython } from './mq-python.js';

const test = mountTest();

test('binary-safe messages of any length up to msgsize; EMSGSIZE past it; bad priorities EINVAL; nothing changes on a refusal', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
named = sys.argv[1]
report('made', clone(named + '/.new', 'create bin maxmsg=10 msgsize=64'))
q = named + '/bin'
fd = os.open(q, os.O_RDWR)
msgs = [b'', b'\x00', b'\n', b'a\nb\n', b'\xff' * 64, bytes(range(64)), b'send prio=9\nnot a command']
for m in msgs:
    assert attempt(fd, b'send prio=3\n' + m) == 'ok'
report('too long', attempt(fd, b'send\n' + b'x' * 65))
report('prio 32768', attempt(fd, b'send prio=32768\nx'))
report('prio -1', attempt(fd, b'send prio=-1\nx'))
report('prio junk', attempt(fd, b'send prio=1x\nx'))
report('unknown word', attempt(fd, b'send now\nx'))
s = status(q)
report('after refusals', [s['curmsgs'], status_text(q).split()[0]])
got = [recv(fd) for _ in msgs]
report('same bytes', [b for _, b in got] == msgs)
report('prios', sorted(set(h['prio'] for h, _ in got)))
report('empty', recv(fd, b'receive timeout=0'))
report('prio 32767', attempt(fd, b'send prio=32767\nmax'))
report('top', recv(fd)[0])
`, [join(dir, 'mqueue', 'named')]);
    t.is(r.get('made'), '/bin');
    t.is(r.get('too long'), 'EMSGSIZE');
    t.is(r.get('prio 32768'), 'EINVAL');
    t.is(r.get('prio -1'), 'EINVAL');
    t.is(r.get('prio junk'), 'EINVAL');
    t.is(r.get('unknown word'), 'EINVAL');
    t.deepEqual(r.get('after refusals'), ['7', `QSIZE:${0 + 1 + 1 + 4 + 64 + 64 + 'send prio=9\nnot a command'.length}`]);
    t.true(r.get('same bytes'));
    t.deepEqual(r.get('prios'), ['3']);
    t.is(r.get('empty'), 'ETIMEDOUT');
    t.is(r.get('prio 32767'), 'ok');
    t.deepEqual(r.get('top'), { prio: '32767', size: '3' });
  });
});

test('the order of receives is the kernel\'s: highest priority first, FIFO within, on the same random sequence of sends and receives', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
named = sys.argv[1]
rnd = random.Random()
seed = rnd.randrange(1 << 30)
report('seed', seed)
rnd.seed(seed)
# the kernel's queue must be creatable here: root in this container may lack CAP_SYS_RESOURCE
maxmsg, msgsize = int(open('/proc/sys/fs/mqueue/msg_max').read()), 32
clone(named + '/.new', 'create order maxmsg=%d msgsize=%d' % (maxmsg, msgsize))
fd = os.open(named + '/order', os.O_RDWR)
kq = kopen('/ipcfs-test-order-%d' % os.getpid(), maxmsg, msgsize)
ours, theirs, n = [], [], 0
for step in range(600):
    if n < maxmsg and (n == 0 or rnd.random() < 0.55):
        prio = rnd.choice([0, 0, 1, 2, 7, 100, 32767, rnd.randrange(32768)])
        data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(msgsize + 1)))
        assert attempt(fd, b'send prio=%d\n' % prio + data) == 'ok'
        ksend(kq, data, prio)
        n += 1
    else:
        h, b = recv(fd)
        ours.append([int(h['prio']), b.hex()])
        theirs.append(list(kreceive(kq, msgsize)))
        theirs[-1][1] = theirs[-1][1].hex()
        n -= 1
while n:
    h, b = recv(fd)
    ours.append([int(h['prio']), b.hex()])
    p, b = kreceive(kq, msgsize)
    theirs.append([p, b.hex()])
    n -= 1
rt.mq_unlink(('/ipcfs-test-order-%d' % os.getpid()).encode())
report('count', len(ours))
report('same order', ours == theirs)
if ours != theirs:
    report('first difference', next(i for i in range(len(ours)) if ours[i] != theirs[i]))
`, [join(dir, 'mqueue', 'named')]);
    t.log('seed', r.get('seed'));
    t.true((r.get('count') as number) > 200);
    t.true(r.get('same order'), `first difference at ${String(r.get('first difference'))}`);
  });
});

test('the status\'s first line is the kernel\'s /dev/mqueue line for the same content and notification', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
named = sys.argv[1]
clone(named + '/.new', 'create line maxmsg=10 msgsize=8192')
q = named + '/line'
fd = os.open(q, os.O_RDWR)
kname = '/ipcfs-test-line-%d' % os.getpid()
kq = kopen(kname, 10, 8192)
def first():
    return status_text(q).splitlines()[0]
with KernelMqueueFs() as kfs:
    pairs = [['empty', first(), kfs.first_line(kname)]]
    for i, m in enumerate([b'', b'x' * 8192, b'a\nb', b'\x00' * 1000]):
        attempt(fd, b'send prio=%d\n' % i + m)
        ksend(kq, m, i)
    pairs.append(['4 messages', first(), kfs.first_line(kname)])
    attempt(fd, b'notify signal=12')
    knotify(kq, 0, 12)
    pairs.append(['notify signal', first(), kfs.first_line(kname)])
    attempt(fd, b'unnotify')
    rt.mq_notify(kq, None)
    attempt(fd, b'notify none')
    knotify(kq, 1, 0)
    pairs.append(['notify none', first(), kfs.first_line(kname)])
    recv(fd)
    kreceive(kq, 8192)
    pairs.append(['one received', first(), kfs.first_line(kname)])
    report('pairs', pairs)
rt.mq_unlink(kname.encode())
`, [join(dir, 'mqueue', 'named')]);
    const pairs = r.get('pairs') as [string, string, string][];
    t.is(pairs.length, 5);
    for (const [what, ours, kernel] of pairs) t.is(ours, kernel, what);
  });
});

test('EBADF: receive on a write-only open, send on a read-only one (the kernel\'s); EBUSY while an answer is unread; ack of an id not held EINVAL', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
q = sys.argv[1] + '/modes'
fd = os.open(q, os.O_RDWR | os.O_CREAT, 0o600)
for m in [b'one', b'two', b'three']:
    os.write(fd, b'send\n' + m)
wo = os.open(q, os.O_WRONLY)
report('receive write-only', attempt(wo, b'receive'))
ro = os.open(q, os.O_RDONLY)
report('send read-only', attempt(ro, b'send\nx'))
report('receive read-only', attempt(ro, b'receive'))
report('first', attempt(fd, b'receive undo'))
report('second before reading', attempt(fd, b'receive'))
head = os.read(fd, 1 << 20)
report('answer', head.decode())
# the whole answer was taken in one read: the next receive is not refused
report('next receive', attempt(fd, b'receive'))
report('its answer', os.read(fd, 1 << 20).decode())
report('then end of file', os.read(fd, 100).decode())
report('ack foreign id', attempt(fd, b'ack 999'))
other = os.open(q, os.O_RDWR)
report('ack from another open file', attempt(other, b'ack 1'))
report('ack junk', attempt(fd, b'ack x'))
report('ack two', attempt(fd, b'ack 1 1'))
s = status(q)
report('held', s.get('held'))
report('ack', attempt(fd, b'ack 1'))
report('ack again', attempt(fd, b'ack 1'))
report('curmsgs', status(q)['curmsgs'])
`, [join(dir, 'mqueue', 'named')]);
    t.is(r.get('receive write-only'), 'EBADF');
    t.is(r.get('send read-only'), 'EBADF');
    t.is(r.get('receive read-only'), 'EBADF', 'a receive is a write on the file: the kernel refuses it on a read-only open');
    t.is(r.get('first'), 'ok');
    t.is(r.get('second before reading'), 'EBUSY');
    t.is(r.get('answer'), 'prio=0 size=3 id=1\none');
    t.is(r.get('next receive'), 'ok');
    t.is(r.get('its answer'), 'prio=0 size=3\ntwo');
    t.is(r.get('then end of file'), '');
    t.is(r.get('ack foreign id'), 'EINVAL');
    t.is(r.get('ack from another open file'), 'EINVAL');
    t.is(r.get('ack junk'), 'EINVAL');
    t.is(r.get('ack two'), 'EINVAL');
    t.regex(r.get('held') as string, /^id=1 prio=0 size=3 pid=\d+ comm=python3$/);
    t.is(r.get('ack'), 'ok');
    t.is(r.get('ack again'), 'EINVAL');
    t.is(r.get('curmsgs'), '1');
  });
});

test('a send longer than one piece of a write(2) fails whole (EMSGSIZE), wherever its buffer lies: no cut message is ever queued', async (t) => {
  // The kernel cuts a direct-I/O write(2) into pieces of at most max_write bytes and max_pages
  // pages: from a buffer that does not start on a page boundary the first piece is shorter.
  // msgsize 1044480 (1 MiB - 4 KiB) was the largest queue before: its sends could be cut.
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
named = sys.argv[1]
report('made', clone(named + '/.new', 'create big maxmsg=8 msgsize=1044480'))
q = os.open(named + '/big', os.O_RDWR)
def write_at(page_offset, data):
    buf = ctypes.create_string_buffer(len(data) + 8192)
    base = (ctypes.addressof(buf) + 4095) // 4096 * 4096 + page_offset
    ctypes.memmove(base, data, len(data))
    libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
    n = libc.write(q, base, len(data))
    return n if n >= 0 else ename(ctypes.get_errno())
out = []
for off in (0, 100, 4095):
    for pad in (0, 3000):
        out.append(write_at(off, b'send' + b' ' * pad + b'\n' + b'A' * (2 << 20)))
report('long writes', out)
report('queue after them', status_text(named + '/big').split()[0])
largest = (1 << 20) - 4096
report('largest send', [write_at(4095, b'send\n' + b'B' * (largest - 5)), write_at(4095, b'send\n' + b'B' * (largest - 4))])
h, b = recv(q)
report('whole', [h['size'], b == b'B' * (largest - 5), status_text(named + '/big').split()[0]])
`, [join(dir, 'mqueue', 'named')]);
    t.is(r.get('made'), '/big');
    t.deepEqual(r.get('long writes'), Array(6).fill('EMSGSIZE'));
    t.is(r.get('queue after them'), 'QSIZE:0');
    t.deepEqual(r.get('largest send'), [1048576 - 4096, 'EMSGSIZE']);
    t.deepEqual(r.get('whole'), [String(1048576 - 4096 - 5), true, 'QSIZE:0']);
  });
});
