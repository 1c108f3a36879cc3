/**
 * Creating queues through a real mount: open(O_CREAT) takes the defaults (compared with the
 * running kernel's /proc/sys/fs/mqueue), `.new` takes maxmsg and msgsize, bounded by msg_max and
 * msgsize_max for an unprivileged creator (the kernel's own mq_open as nobody gives the same
 * EINVAL) and by the hard maxima for root; queues_max (ENOSPC; root passes it) and uid-mq-bytes
 * (EMFILE) refuse nobody and make nothing.
 */
import { join } from 'node:path';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { runPython } from './mq-python.js';

const test = mountTest();

const HELPERS = String.raw`
def create(path):
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        return 'ok'
    except OSError as e:
        return ename(e.errno)
def kernel_open(maxmsg, msgsize):
    name = ('/ipcfs-test-attr-%d' % os.getpid()).encode()
    a = MqAttr(0, maxmsg, msgsize, 0)
    q = rt.mq_open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600, ctypes.byref(a))
    if q < 0:
        return ename(ctypes.get_errno())
    os.close(q)
    rt.mq_unlink(name)
    return 'ok'
`;

test('defaults are /proc/sys/fs/mqueue\'s; .new attributes: msg_max and msgsize_max bound nobody as the kernel does, the hard maxima root', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, HELPERS + String.raw`
named = sys.argv[1]
proc = dict((k, int(open('/proc/sys/fs/mqueue/' + k).read())) for k in ['msg_default', 'msgsize_default', 'msg_max', 'msgsize_max'])
want = [str(min(proc['msg_default'], proc['msg_max'])), str(min(proc['msgsize_default'], proc['msgsize_max']))]
report('root default', [status(named + '/byroot')[k] for k in ('maxmsg', 'msgsize')] == want if create(named + '/byroot') == 'ok' else 'refused')
def nobody():
    out = {}
    out['default'] = create(named + '/bynobody')
    out['default attrs'] = [status(named + '/bynobody')[k] for k in ('maxmsg', 'msgsize')]
    mm, ms = proc['msg_max'], proc['msgsize_max']
    for what, m, s in [('at the maxima', mm, ms), ('maxmsg past', mm + 1, ms), ('msgsize past', mm, ms + 1), ('maxmsg 0', 0, ms), ('msgsize 0', 1, 0)]:
        out[what] = [clone(named + '/.new', 'create n-%d-%d maxmsg=%d msgsize=%d' % (m, s, m, s)), kernel_open(m, s)]
    out['attrs'] = [status(named + '/n-%d-%d' % (mm, ms))[k] for k in ('maxmsg', 'msgsize')]
    out['only msgsize'] = clone(named + '/.new', 'create only msgsize=200')
    out['only msgsize attrs'] = [status(named + '/only')[k] for k in ('maxmsg', 'msgsize')]
    out['junk'] = [clone(named + '/.new', 'create j maxmsg=-1'), clone(named + '/.new', 'create j maxmsg=1e3'), clone(named + '/.new', 'create j maxmsg=2 maxmsg=3')]
    return out
n = as_nobody(nobody)
report('nobody', n)
report('want', want)
report('root at the hard maxima', clone(named + '/.new', 'create big maxmsg=65536 msgsize=16777216'))
report('big attrs', [status(named + '/big')[k] for k in ('maxmsg', 'msgsize')])
report('root past', [clone(named + '/.new', 'create big2 maxmsg=65537 msgsize=8'), clone(named + '/.new', 'create big3 maxmsg=1 msgsize=16777217')])
report('names', sorted(os.listdir(named)))
`, [join(dir, 'mqueue', 'named')]);
    t.true(r.get('root default'));
    const want = r.get('want') as string[];
    const n = r.get('nobody') as Record<string, unknown>;
    t.is(n['default'], 'ok');
    t.deepEqual(n['default attrs'], want);
    t.is((n['at the maxima'] as string[])[1], 'ok', 'the kernel agrees');
    t.regex((n['at the maxima'] as string[])[0]!, /^\/n-\d+-\d+$/);
    t.deepEqual(n['maxmsg past'], ['EINVAL', 'EINVAL']);
    t.deepEqual(n['msgsize past'], ['EINVAL', 'EINVAL']);
    t.deepEqual(n['maxmsg 0'], ['EINVAL', 'EINVAL']);
    t.deepEqual(n['msgsize 0'], ['EINVAL', 'EINVAL']);
    t.is(n['only msgsize'], '/only');
    t.deepEqual(n['only msgsize attrs'], [want[0], '200']);
    t.deepEqual(n['junk'], ['EINVAL', 'EINVAL', 'EINVAL']);
    t.is(r.get('root at the hard maxima'), '/big');
    t.deepEqual(r.get('big attrs'), ['65536', '16777216']);
    t.deepEqual(r.get('root past'), ['EINVAL', 'EINVAL']);
    t.deepEqual(r.get('names'), ['big', 'bynobody', 'byroot', `n-${want[0]}-${want[1]}`, 'only'].sort());
  }, { args: ['--allow-other'] });
});

test('queues_max (ENOSPC, root passes it) and uid-mq-bytes (EMFILE) refuse nobody and make nothing', async (t) => {
  // a default queue costs 10 * 8192 + 10 * 48 + 10 * 48 = 82880 bytes of uid-mq-bytes
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, HELPERS + String.raw`
named = sys.argv[1]
def nobody():
    out = []
    out.append(create(named + '/a'))
    out.append(create(named + '/b'))
    out.append(create(named + '/c'))                                          # bytes
    out.append(clone(named + '/.new', 'create c maxmsg=10 msgsize=8192'))     # bytes
    out.append(clone(named + '/.new', 'create c maxmsg=1 msgsize=128'))       # fits: the third queue
    out.append(clone(named + '/.new', 'create d maxmsg=1 msgsize=128'))       # queues_max
    out.append(create(named + '/d'))                                          # queues_max
    return out
report('nobody', as_nobody(nobody))
report('names', sorted(os.listdir(named)))
report('root passes queues_max', create(named + '/byroot'))
report('nobody still refused', as_nobody(lambda: [create(named + '/e'), sorted(os.listdir(named))]))
# removed queues give their room back once no open file holds them (RELEASE is asynchronous:
# wait until the only open file on the mount is the one reading the limits)
limits = os.path.join(os.path.dirname(os.path.dirname(named)), 'limits', 'ipcfs')
wait_for(lambda: 'handles-used: 1\n' in open(limits).read(), 'every queue file to be released')
os.unlink(named + '/a')
os.unlink(named + '/byroot')
report('after rm', as_nobody(lambda: [create(named + '/e'), create(named + '/f')]))
`, [join(dir, 'mqueue', 'named')]);
    t.deepEqual(r.get('nobody'), ['ok', 'ok', 'EMFILE', 'EMFILE', '/c', 'ENOSPC', 'ENOSPC']);
    t.deepEqual(r.get('names'), ['a', 'b', 'c']);
    t.is(r.get('root passes queues_max'), 'ok');
    t.deepEqual(r.get('nobody still refused'), ['ENOSPC', ['a', 'b', 'byroot', 'c']]);
    t.deepEqual(r.get('after rm'), ['ok', 'ENOSPC'], 'a\'s bytes and a place among queues_max came back; e took the place');
  }, { args: ['--allow-other', '--limits', 'queues_max=3,uid-mq-bytes=170000'] });
});
