/**
 * mq_notify's registration (docs/protocol.md, Message queues): the registering process is
 * signalled once, then another process may register.
 */
import { join } from 'node:path';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { python } from '../../helpers/python.js';

const test = mountTest();

const SCRIPT = String.raw`
import os, sys, json, signal, errno
d = sys.argv[1]
def report(name, value):
    print(json.dumps([name, value]), flush=True)
def field(path, name):
    # read by another process: a close by the registrant itself would end its registration
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        with open(path) as f:
            os.write(w, f.readline().split(name + ':')[1].split()[0].encode())
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    return os.read(r, 100).decode()
fd = os.open(d + '/.new', os.O_RDWR)
os.write(fd, b'create n')
q = d + '/n'
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
reg = os.open(q, os.O_RDWR)
os.write(reg, b'notify signal=%d' % signal.SIGUSR2)
report('NOTIFY_PID is the registrant', field(q, 'NOTIFY_PID') == str(os.getpid()))
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.read(r, 1)
    s = os.open(q, os.O_WRONLY)
    os.write(s, b'send\nx')
    try:
        os.write(os.open(q, os.O_RDWR), b'notify')
        os._exit(0)
    except OSError as e:
        os._exit(e.errno)
os.write(w, b'g')
got = signal.sigtimedwait([signal.SIGUSR2], 5)
report('signalled once on the first message', got is not None and got.si_signo == signal.SIGUSR2)
report('another process meanwhile: EBUSY? no, it fired and is gone', os.waitpid(pid, 0)[1] >> 8)
`;

test('the registrant is signalled once; a second registration after it fired succeeds', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await python(SCRIPT, [join(dir, 'mqueue', 'named')], 20_000);
    t.is(r.code, 0, r.err);
    t.deepEqual(Object.fromEntries(r.results), {
      'NOTIFY_PID is the registrant': true,
      'signalled once on the first message': true,
      'another process meanwhile: EBUSY? no, it fired and is gone': 0,
    });
  });
});
