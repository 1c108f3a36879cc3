/**
 * O_NONBLOCK: a descriptor that is non-blocking, at open or later by fcntl(F_SETFL), never waits:
 * a command that would wait fails with EAGAIN and changes nothing (the WRITE carries the
 * descriptor's flags at the time of the call: fs/kinds/wait-call.ts). A blocking descriptor on the
 * same file still waits.
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

const SCRIPT = String.raw`
import os, sys, json, errno, fcntl
path = sys.argv[1]
def report(name, value):
    print(json.dumps([name, value]), flush=True)
def status():
    with open(path) as f:
        return dict(l.split(': ', 1) for l in f.read().splitlines() if ': ' in l)
def attempt(fd, cmd):
    try:
        os.write(fd, cmd)
        return 'ok'
    except OSError as e:
        return errno.errorcode[e.errno]
fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
report('wait at open', attempt(fd, b'wait'))
report('op at open', attempt(fd, b'op 0:-1:undo'))
report('timedwait at open', attempt(fd, b'timedwait 5'))
s = status()
report('after', [s['value'], s['ncnt']])
report('post', attempt(fd, b'post'))
report('wait with a unit', attempt(fd, b'wait'))
os.close(fd)
fd = os.open(path, os.O_RDWR)
fl = fcntl.fcntl(fd, fcntl.F_GETFL)
fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)
report('wait after fcntl', attempt(fd, b'wait'))
fcntl.fcntl(fd, fcntl.F_SETFL, fl)
pid = os.fork()
if pid == 0:
    os._exit(0 if attempt(fd, b'wait') == 'ok' else 1)
# the child blocks (blocking again): a post from here wakes it
while status()['ncnt'] != '1':
    pass
report('blocking again waits', status()['ncnt'])
os.write(os.open(path, os.O_WRONLY), b'post')
report('woken', os.waitpid(pid, 0)[1])
s = status()
report('end', [s['value'], s['ncnt']])
`;

test('a non-blocking descriptor never waits: EAGAIN, nothing changes; fcntl after open counts, and clearing it blocks again', async (t) => {
  await withDaemon(async (d) => {
    for (const [dir, cmd] of [['unnamed', 'create value=0 mode=0666'], ['sysv', 'semget private 1 mode=0666']] as const) {
      const id = create(join(d.dir, 'semaphores', dir, '.new'), cmd);
      const r = await python(SCRIPT, [join(d.dir, 'semaphores', dir, id)], 20_000);
      t.is(r.code, 0, r.err);
      t.deepEqual(Object.fromEntries(r.results), {
        'wait at open': 'EAGAIN',
        'op at open': 'EAGAIN',
        'timedwait at open': 'EAGAIN',
        after: ['0', '0'],
        post: 'ok',
        'wait with a unit': 'ok',
        'wait after fcntl': 'EAGAIN',
        'blocking again waits': '1',
        woken: 0,
        end: ['0', '0'],
      }, dir);
    }
  });
});
