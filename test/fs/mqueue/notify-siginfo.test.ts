/**
 * `notify signal=N value=V` (docs/protocol.md, Message queues): the signal carries what Linux's
 * mq_notify signal carries (ipc/mqueue.c __do_notify): si_code SI_MESGQ, the registration's value
 * as the whole 64-bit sigval word, and the pid and real uid of the process whose send fired it,
 * here delivered to another user's process. A value that is not a signed 64-bit decimal is EINVAL.
 */
import { join } from 'node:path';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { python } from '../../helpers/python.js';

const test = mountTest();

const SCRIPT = String.raw`
import os, sys, json, signal, errno, ctypes, struct
d = sys.argv[1]
def report(name, value):
    print(json.dumps([name, value]), flush=True)
def errno_of(fd, cmd):
    try:
        os.write(fd, cmd)
        return 'ok'
    except OSError as e:
        return errno.errorcode[e.errno]
fd = os.open(d + '/.new', os.O_RDWR)
os.write(fd, b'create v mode=666')
q = d + '/v'
mine = os.open(q, os.O_RDWR)
for bad in [b'value=abc', b'value=1.5', b'value=', b'value=9223372036854775808', b'value=-9223372036854775809', b'value=0x10']:
    report('notify ' + bad.decode(), errno_of(mine, b'notify signal=12 ' + bad))
report('nothing registered after them', open(q).readline().split('NOTIFY_PID:')[1].split()[0])
report('notify value=INT64_MAX', errno_of(mine, b'notify signal=12 value=9223372036854775807'))
report('status shows it', [l for l in open(q) if l.startswith('notify_value:')])
os.write(mine, b'unnotify')

VALUE = -81985529216961775  # 0xfedcba9876543211 as a signed word: every byte matters
ready_r, ready_w = os.pipe()
child = os.fork()
if child == 0:
    os.setgid(65534)
    os.setuid(65534)
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
    reg = os.open(q, os.O_RDWR)
    os.write(reg, b'notify signal=%d value=%d' % (signal.SIGUSR2, VALUE))
    os.write(ready_w, b'r')
    libc = ctypes.CDLL(None, use_errno=True)
    sigset = ctypes.create_string_buffer(128)
    libc.sigemptyset(sigset)
    libc.sigaddset(sigset, signal.SIGUSR2)
    info = ctypes.create_string_buffer(128)
    ts = struct.pack('qq', 10, 0)
    got = libc.sigtimedwait(sigset, info, ctypes.c_char_p(ts))
    signo, _, code = struct.unpack_from('iii', info, 0)
    pid, uid = struct.unpack_from('iI', info, 16)
    (value,) = struct.unpack_from('q', info, 24)
    report('signal', got == signal.SIGUSR2 and signo == got)
    report('si_code', code)
    report('si_value', value == VALUE)
    report('si_pid is the sender', pid == int(os.read(ready_r, 20)))
    report('si_uid is the sender', uid)
    os._exit(0)
os.read(ready_r, 1)
os.write(ready_w, str(os.getpid()).encode())
os.write(mine, b'send\nx')
report('child', os.waitpid(child, 0)[1])
`;

test('SI_MESGQ, the 64-bit value and the sender reach another user; a bad value is EINVAL', async (t) => {
  await withDaemon(
    async ({ dir }) => {
      const r = await python(SCRIPT, [join(dir, 'mqueue', 'named')], 20_000);
      t.is(r.code, 0, r.err);
      t.deepEqual(Object.fromEntries(r.results), {
        'notify value=abc': 'EINVAL',
        'notify value=1.5': 'EINVAL',
        'notify value=': 'EINVAL',
        'notify value=9223372036854775808': 'EINVAL',
        'notify value=-9223372036854775809': 'EINVAL',
        'notify value=0x10': 'EINVAL',
        'nothing registered after them': '0',
        'notify value=INT64_MAX': 'ok',
        'status shows it': ['notify_value: 9223372036854775807\n'],
        signal: true,
        si_code: -3, // SI_MESGQ
        si_value: true,
        'si_pid is the sender': true,
        'si_uid is the sender': 0,
        child: 0,
      });
    },
    { args: ['--allow-other'] },
  );
});
