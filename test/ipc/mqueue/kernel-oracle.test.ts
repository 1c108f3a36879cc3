/**
 * The kernel's own POSIX message queues (through Python's ctypes, mq_* from libc) as the oracle for
 * what ipc/mqueue models without a mount:
 *  - mq_bytes: for several attribute pairs, a fresh unprivileged uid whose RLIMIT_MSGQUEUE is
 *    exactly mqBytes(attr) may create the queue, and with one byte less gets EMFILE;
 *  - mq_attr_ok for an unprivileged creator, against this machine's /proc/sys/fs/mqueue;
 *  - the status line (read(2) of a queue descriptor is mqueue_read_file): QSIZE after the same
 *    sends and receive, NOTIFY/SIGNO/NOTIFY_PID for SIGEV_SIGNAL and SIGEV_NONE registrations.
 * Root's privileges (CAP_SYS_RESOURCE) are not checked here: the container's root may lack it.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { checkAttr, mqBytes, type MqLimits } from '../../../ipc/mqueue/limits.js';
import { MessageQueue, qsizeLine, SIGEV_NONE, SIGEV_SIGNAL } from '../../../ipc/mqueue/queue.js';
import { errnoOf, noop } from '../../helpers/errno.js';
import { python } from '../../helpers/python.js';

const PRELUDE = String.raw`
import ctypes, ctypes.util, os, json, sys, resource
libc = ctypes.CDLL(None, use_errno=True)
rt = libc if hasattr(libc, 'mq_open') else ctypes.CDLL(ctypes.util.find_library('rt'), use_errno=True)
class Attr(ctypes.Structure):
    _fields_ = [('flags', ctypes.c_long), ('maxmsg', ctypes.c_long), ('msgsize', ctypes.c_long), ('curmsgs', ctypes.c_long), ('pad', ctypes.c_long * 4)]
class Sigevent(ctypes.Structure):
    _fields_ = [('value', ctypes.c_void_p), ('signo', ctypes.c_int), ('notify', ctypes.c_int), ('pad', ctypes.c_int * 12)]
rt.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(Attr)]
rt.mq_unlink.argtypes = [ctypes.c_char_p]
rt.mq_send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint]
rt.mq_receive.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint)]
rt.mq_receive.restype = ctypes.c_ssize_t
rt.mq_notify.argtypes = [ctypes.c_int, ctypes.POINTER(Sigevent)]
def report(k, v):
    print(json.dumps([k, v]), flush=True)
`;

/** mq_open(O_CREAT|O_EXCL) with attr by uid under RLIMIT_MSGQUEUE = rlimit (-1: as inherited), in a child: 0 or the errno. */
const ATTEMPTS = String.raw`
def attempt(uid, maxmsg, msgsize, rlimit):
    pid = os.fork()
    if pid == 0:
        try:
            if rlimit >= 0:
                resource.setrlimit(resource.RLIMIT_MSGQUEUE, (rlimit, rlimit))
            os.setgid(uid)
            os.setuid(uid)
            name = ('/ipcfs-mq-oracle-%d' % os.getpid()).encode()
            fd = rt.mq_open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600, ctypes.byref(Attr(0, maxmsg, msgsize, 0)))
            e = ctypes.get_errno()
            if fd >= 0:
                rt.mq_unlink(name)
                os._exit(0)
            os._exit(e)
        except BaseException as ex:
            sys.stderr.write(repr(ex) + '\n')
            os._exit(255)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
for c in json.loads(sys.argv[1]):
    report(c['key'], attempt(c['uid'], c['maxmsg'], c['msgsize'], c['rlimit']))
`;

/** An unused uid: its kernel user_struct has no mq_bytes charged. */
const UID = 40000 + (process.pid % 20000);

function kernelLimits(): MqLimits {
  const read = (n: string): number => Number(readFileSync(`/proc/sys/fs/mqueue/${n}`, 'utf8').trim());
  return { msgDefault: read('msg_default'), msgsizeDefault: read('msgsize_default'), msgMax: read('msg_max'), msgsizeMax: read('msgsize_max'), queuesMax: read('queues_max') };
}

test('mq_bytes: a creator whose RLIMIT_MSGQUEUE is exactly mqBytes(attr) may create the queue, one byte less is EMFILE', async (t) => {
  const l = kernelLimits();
  const attrs = [
    { maxmsg: 1, msgsize: 1 },
    { maxmsg: 3, msgsize: 100 },
    { maxmsg: Math.min(l.msgMax, 10), msgsize: Math.min(l.msgsizeMax, 8192) },
    { maxmsg: l.msgMax, msgsize: 128 },
  ].filter((a) => a.maxmsg <= l.msgMax && a.msgsize <= l.msgsizeMax);
  const cases = attrs.flatMap((a, i) => [
    { key: `fits ${i}`, uid: UID, ...a, rlimit: mqBytes(a) },
    { key: `over ${i}`, uid: UID, ...a, rlimit: mqBytes(a) - 1 },
  ]);
  const run = await python(PRELUDE + ATTEMPTS, [JSON.stringify(cases)]);
  t.is(run.code, 0, run.err);
  const got = Object.fromEntries(run.results) as Record<string, number>;
  attrs.forEach((a, i) => {
    t.is(got[`fits ${i}`], 0, `${JSON.stringify(a)} with rlimit ${mqBytes(a)}: ${run.err}`);
    t.is(got[`over ${i}`], 24 /* EMFILE */, `${JSON.stringify(a)} with rlimit ${mqBytes(a) - 1}`);
  });
});

test('mq_attr_ok for an unprivileged creator agrees with the kernel on this machine\'s limits', async (t) => {
  const l = kernelLimits();
  const attrs = [
    { maxmsg: 0, msgsize: 1 },
    { maxmsg: 1, msgsize: 0 },
    { maxmsg: -1, msgsize: 1 },
    { maxmsg: l.msgMax, msgsize: 1 },
    { maxmsg: l.msgMax + 1, msgsize: 1 },
    { maxmsg: 1, msgsize: l.msgsizeMax },
    { maxmsg: 1, msgsize: l.msgsizeMax + 1 },
  ];
  // the inherited RLIMIT_MSGQUEUE (819200 by default) holds any one valid unprivileged queue
  const cases = attrs.map((a, i) => ({ key: String(i), uid: UID + 1, ...a, rlimit: -1 }));
  const run = await python(PRELUDE + ATTEMPTS, [JSON.stringify(cases)]);
  t.is(run.code, 0, run.err);
  const got = Object.fromEntries(run.results) as Record<string, number>;
  attrs.forEach((a, i) => {
    t.is(errnoOf(() => checkAttr(a, l, UID + 1)) ?? 0, got[String(i)]!, JSON.stringify(a));
  });
});

test('the status line: the kernel\'s read(2) of a queue and qsizeLine after the same operations', async (t) => {
  const script = String.raw`
name = ('/ipcfs-mq-status-%d' % os.getpid()).encode()
fd = rt.mq_open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600, ctypes.byref(Attr(0, 8, 64, 0)))
rt.mq_unlink(name)
report('pid', os.getpid())
report('empty', os.pread(fd, 200, 0).decode())
for data, prio in [(b'x' * 30, 1), (b'', 0), (b'y' * 12, 4)]:
    assert rt.mq_send(fd, data, len(data), prio) == 0
buf = ctypes.create_string_buffer(64)
p = ctypes.c_uint()
report('received', rt.mq_receive(fd, buf, 64, ctypes.byref(p)))
ev = Sigevent(None, 12, 0)
assert rt.mq_notify(fd, ctypes.byref(ev)) == 0
report('signal', os.pread(fd, 200, 0).decode())
assert rt.mq_notify(fd, None) == 0
ev = Sigevent(None, 12, 1)
assert rt.mq_notify(fd, ctypes.byref(ev)) == 0
report('none', os.pread(fd, 200, 0).decode())
`;
  const run = await python(PRELUDE + script);
  t.is(run.code, 0, run.err);
  const k = Object.fromEntries(run.results) as Record<string, string>;
  const pid = Number(k.pid);
  const q = new MessageQueue({ maxmsg: 8, msgsize: 64 });
  t.is(qsizeLine(q.status()), k.empty!);
  for (const [data, prio] of [['x'.repeat(30), 1], ['', 0], ['y'.repeat(12), 4]] as const) q.send(Buffer.from(data), prio, pid, true, noop);
  q.receive(64, pid, true, null, noop);
  t.is(Number(k.received), 12);
  q.registerNotify({ owner: 'k', pid, how: SIGEV_SIGNAL, signo: 12, fire: noop });
  t.is(qsizeLine(q.status()), k.signal!);
  q.unregisterNotify('k');
  q.registerNotify({ owner: 'k', pid, how: SIGEV_NONE, signo: 12, fire: noop });
  t.is(qsizeLine(q.status()), k.none!);
});
