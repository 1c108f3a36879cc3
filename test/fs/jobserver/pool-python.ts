/**
 * What the pool mount tests share: a Python prelude over mq-python's (pools made through .new,
 * their status by key, token takes that report an errno by name) and a runner that passes the
 * kind directory and its status/ mirror as argv[1] and argv[2].
 */
import type { ExecutionContext } from 'ava';
import { join } from 'node:path';
import { runPython } from '../mqueue/mq-python.js';

export const POOL_PRELUDE = String.raw`
import fcntl
named = sys.argv[1]
statusdir = sys.argv[2]
def pool(name, size, extra=''):
    r = clone(named + '/.new', 'create %s size=%d mode=0666 %s' % (name, size, extra))
    assert r.startswith('/'), r
    return named + '/' + name
def pstat_lists(name):
    """the status as key -> every value of that key, in order"""
    out = {}
    for l in status_text(statusdir + '/' + name).splitlines():
        k, _, v = l.partition(':')
        out.setdefault(k, []).append(v.strip())
    return out
def pstat(name):
    """the status as key -> its value (a list when the key repeats: holder, orphan)"""
    return {k: (v[0] if len(v) == 1 else v) for k, v in pstat_lists(name).items()}
def take(fd, n=1):
    try:
        return os.read(fd, n).decode('latin1')
    except OSError as e:
        return ename(e.errno)
`;

/** Runs PRELUDE (mq-python's) + POOL_PRELUDE + extra + body on the mount dir. */
export function runPool(t: ExecutionContext, dir: string, extra: string, body: string, args: string[] = []) {
  return runPython(t, POOL_PRELUDE + extra + body, [join(dir, 'jobserver', 'named'), join(dir, 'jobserver', 'status'), ...args]);
}
