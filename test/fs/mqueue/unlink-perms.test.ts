/**
 * `rm` is mq_unlink (open files keep the queue, the name is gone, a new queue of the name is
 * another queue), and permissions as another user on a multi-user mount, with and without the
 * kernel's default_permissions: a 0600 queue of root refuses nobody everything; read-only and
 * write-only access allow exactly their half; reopening through /proc/self/fd cannot widen access;
 * and, as on Linux, permission is checked when a queue is opened, not at every send (compared with
 * the kernel's own queue at run time).
 */
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { runPython } from './mq-python.js';

const test = mountTest();

test('rm is mq_unlink: open files keep working, the name is gone, a new queue of the name is another queue', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
named = sys.argv[1]
q = named + '/u'
fd = os.open(q, os.O_RDWR | os.O_CREAT, 0o600)
attempt(fd, b'send\nold')
pid = os.fork()
if pid == 0:
    f = os.open(q, os.O_RDWR)
    os.read(f, 65536)
    h, b = recv(f, b'receive')
    os.write(1, (json.dumps(['waiter got', b.decode()]) + '\n').encode())
    os._exit(0)
recv(fd)
wait_for(lambda: status(q)['receivers'] == str(pid), 'the receiver to wait')
os.unlink(q)
def err(fn):
    try:
        fn()
        return 'ok'
    except OSError as e:
        return ename(e.errno)
report('stat', err(lambda: os.stat(q)))
report('open', err(lambda: os.open(q, os.O_RDWR)))
report('listed', 'u' in os.listdir(named))
report('rm again', err(lambda: os.unlink(q)))
report('old file status', [l for l in os.read(fd, 65536).decode().splitlines() if l.startswith(('receivers', 'unlinked'))])
attempt(fd, b'send\nto the waiter')
os.waitpid(pid, 0)
attempt(fd, b'send prio=1\nstill here')
fd2 = os.open(q, os.O_RDWR | os.O_CREAT, 0o600)
report('new queue', [status(q)['curmsgs'], 'unlinked' in status(q)])
attempt(fd2, b'send\nnew')
report('rmid through the old file', attempt(fd, b'rmid'))
report('new queue kept', [os.path.exists(q), status(q)['curmsgs']])
report('old receives', recv(fd)[1].decode())
report('new receives', recv(fd2)[1].decode())
`, [join(dir, 'mqueue', 'named')]);
    t.is(r.get('stat'), 'ENOENT');
    t.is(r.get('open'), 'ENOENT');
    t.false(r.get('listed'));
    t.is(r.get('rm again'), 'ENOENT');
    t.deepEqual((r.get('old file status') as string[]).map((l) => l.replace(/\d+/, 'PID')), ['receivers: PID', 'unlinked: yes']);
    t.is(r.get('waiter got'), 'to the waiter');
    t.deepEqual(r.get('new queue'), ['0', false]);
    t.is(r.get('rmid through the old file'), 'ok');
    t.deepEqual(r.get('new queue kept'), [true, '1'], 'the old file\'s rmid does not remove the new queue of its former name');
    t.is(r.get('old receives'), 'still here');
    t.is(r.get('new receives'), 'new');
  });
});


async function strangers(t: ExecutionContext, args: string[]): Promise<void> {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
named = sys.argv[1]
for name, mode in [('secret', '0600'), ('readable', '0644'), ('dropbox', '0622'), ('open', '0666')]:
    clone(named + '/.new', 'create %s mode=%s' % (name, mode))
    attempt(os.open(named + '/' + name, os.O_WRONLY), b'send\nroot says hi')
def nobody():
    P = lambda n: named + '/' + n
    out = {}
    out['secret'] = [err(lambda: os.open(P('secret'), m)) for m in (os.O_RDONLY, os.O_WRONLY, os.O_RDWR)]
    out['secret rm, chmod, chown'] = [err(lambda: os.unlink(P('secret'))), err(lambda: os.chmod(P('secret'), 0o666)), err(lambda: os.chown(P('secret'), 65534, 65534))]
    out['secret .new excl'] = clone(named + '/.new', 'create secret excl')
    ro = os.open(P('readable'), os.O_RDONLY)
    out['readable'] = [status_text(P('readable')).split()[0], attempt(ro, b'send\nx'), attempt(ro, b'receive'), err(lambda: os.open(P('readable'), os.O_RDWR))]
    out['widen through /proc/self/fd'] = [err(lambda: os.open('/proc/self/fd/%d' % ro, os.O_WRONLY)), err(lambda: os.open('/proc/self/fd/%d' % ro, os.O_RDWR))]
    wo = os.open(P('dropbox'), os.O_WRONLY)
    out['dropbox'] = [attempt(wo, b'send\nfrom nobody'), attempt(wo, b'receive'), err(lambda: os.open(P('dropbox'), os.O_RDONLY)), err(lambda: os.open('/proc/self/fd/%d' % wo, os.O_RDWR))]
    out['dropbox rmid, ipc_set'] = [attempt(wo, b'rmid'), attempt(wo, b'ipc_set mode=0666')]
    rw = os.open(P('open'), os.O_RDWR)
    out['open'] = [recv(rw)[1].decode(), attempt(rw, b'send\nback')]
    return out
n = as_user(65534, nobody)
report('nobody', n)
report('dropbox', [status(named + '/dropbox')['curmsgs'], os.path.exists(named + '/dropbox')])
report('secret untouched', [status(named + '/secret')['perms'], status(named + '/secret')['owner'], status(named + '/secret')['curmsgs']])
`, [join(dir, 'mqueue', 'named')]);
    const n = r.get('nobody') as Record<string, unknown>;
    t.deepEqual(n['secret'], ['EACCES', 'EACCES', 'EACCES']);
    t.deepEqual(n['secret rm, chmod, chown'], ['EPERM', 'EPERM', 'EPERM']);
    t.is(n['secret .new excl'], 'EEXIST');
    t.deepEqual(n['readable'], ['QSIZE:12', 'EBADF', 'EBADF', 'EACCES']);
    t.deepEqual(n['widen through /proc/self/fd'], ['EACCES', 'EACCES']);
    t.deepEqual(n['dropbox'], ['ok', 'EBADF', 'EACCES', 'EACCES']);
    t.deepEqual(n['dropbox rmid, ipc_set'], ['EPERM', 'EPERM']);
    t.deepEqual(n['open'], ['root says hi', 'ok']);
    t.deepEqual(r.get('dropbox'), ['2', true]);
    t.deepEqual(r.get('secret untouched'), ['600', '0', '1']);
  }, { args });
}

test('as nobody on a multi-user mount: a 0600 queue of root refuses everything; read-only and write-only access allow their half', async (t) => {
  await strangers(t, ['--allow-other']);
});

test('the same without default_permissions: ipcfs checks every path itself', async (t) => {
  await strangers(t, ['--allow-other', '--no-default-permissions']);
});

test('as on Linux, permission is checked at open: a chmod after open does not stop sends and receives through the open file', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, String.raw`
named = sys.argv[1]
q = named + '/later'
clone(named + '/.new', 'create later mode=0666')
kname = '/ipcfs-test-chmod-%d' % os.getpid()
rt.mq_unlink(kname.encode())
os.umask(0)
kq = kcheck(rt.mq_open(kname.encode(), os.O_RDWR | os.O_CREAT, 0o666, None))
with KernelMqueueFs() as kfs:
    kfile = os.path.join(kfs.dir, kname.lstrip('/'))
    go_r, go_w = os.pipe()
    done_r, done_w = os.pipe()
    def nobody():
        f = os.open(q, os.O_RDWR)
        k = kcheck(rt.mq_open(kname.encode(), os.O_RDWR, 0, None))
        os.write(done_w, b'o')
        os.read(go_r, 1)
        sent = attempt(f, b'send\nafter chmod')
        got = recv(f)
        ours = [sent, got if isinstance(got, str) else got[1].decode()]
        theirs = [err(lambda: ksend(k, b'after chmod', 0)), err(lambda: kreceive(k, 8192)[1].decode())]
        return [ours, theirs]
    pid = os.fork()
    if pid == 0:
        res = as_user(65534, nobody)
        os.write(1, (json.dumps(['nobody', res]) + '\n').encode())
        os._exit(0)
    os.read(done_r, 1)
    os.chmod(q, 0o600)
    os.chmod(kfile, 0o600)
    report('modes now', [oct(os.stat(q).st_mode & 0o777), oct(os.stat(kfile).st_mode & 0o777)])
    os.write(go_w, b'g')
    os.waitpid(pid, 0)
rt.mq_unlink(kname.encode())
`, [join(dir, 'mqueue', 'named')]);
    t.deepEqual(r.get('modes now'), ['0o600', '0o600']);
    const [ours, theirs] = r.get('nobody') as [string[], string[]];
    t.deepEqual(theirs, ['ok', 'after chmod'], 'the kernel checks at mq_open only');
    t.deepEqual(ours, theirs);
  }, { args: ['--allow-other'] });
});
