/**
 * Robust receive under chaos (issue 7, point 4): 500 messages, worker processes that `receive
 * undo`, read the answer and `ack`, and are SIGKILLed at random moments: while blocked in the
 * receive (perhaps just as a message is handed to them), after the receive returned but before the
 * answer is read, after reading it but before the ack. Killed workers are replaced until every
 * message is acknowledged. At the end every message was acknowledged exactly once, none is lost,
 * the queue is empty and nothing is held.
 *
 * Workers report each step on their own pipe and wait for the parent's go-ahead before reading the
 * answer and before acking: so the parent never kills one between a successful ack and its report
 * (the one moment where a kill would make the log, not the queue, lose an acknowledgement).
 */
import { join } from 'node:path';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { runPython } from './mq-python.js';

const test = mountTest();

const CHAOS = String.raw`
q = sys.argv[1] + '/jobs'
N, WORKERS = 500, 4
rnd = random.Random()
seed = rnd.randrange(1 << 30)
rnd.seed(seed)
report('seed', seed)
report('made', clone(sys.argv[1] + '/.new', 'create jobs maxmsg=%d msgsize=16' % N))
fd = os.open(q, os.O_WRONLY)
for i in range(N):
    assert attempt(fd, b'send prio=%d\nmsg-%03d' % (rnd.randrange(4), i)) == 'ok'
os.close(fd)
report('queued', status(q)['curmsgs'])

def worker(go_r, ev_w):
    def ev(s):
        os.write(ev_w, s.encode() + b'\n')
    def go():
        if os.read(go_r, 1) != b'g':
            os._exit(4)
    fd = os.open(q, os.O_RDWR)
    while True:
        ev('wait')
        r = attempt(fd, b'receive undo')
        if r != 'ok':
            ev('error receive ' + r)
            os._exit(3)
        ev('received')
        go()
        head, _, body = read_all(fd).partition(b'\n')
        h = dict(w.split('=') for w in head.decode().split())
        ev('read %s %s' % (h['id'], body.decode()))
        go()
        r = attempt(fd, b'ack ' + h['id'].encode())
        if r != 'ok':
            ev('error ack ' + r)
            os._exit(3)
        ev('acked ' + body.decode())

workers = {}   # pid -> dict(go=fd, ev=fd, buf=bytes, state=str)
def start():
    go_r, go_w = os.pipe()
    ev_r, ev_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            for w in workers.values():
                os.close(w['go']); os.close(w['ev'])
            os.close(go_w); os.close(ev_r)
            worker(go_r, ev_w)
        finally:
            os._exit(5)
    os.close(go_r); os.close(ev_w)
    workers[pid] = {'go': go_w, 'ev': ev_r, 'buf': b'', 'state': 'starting'}
def kill(pid, why):
    os.kill(pid, signal.SIGKILL)
    _, st = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(st), st
    w = workers.pop(pid)
    os.close(w['go']); os.close(w['ev'])
    kills[why] = kills.get(why, 0) + 1

acked, received, errors, kills = {}, {}, [], {}
for _ in range(WORKERS):
    start()
deadline = time.monotonic() + 90
while len(acked) < N and time.monotonic() < deadline and not errors:
    ready, _, _ = select.select([w['ev'] for w in workers.values()], [], [], 0.005)
    for pid, w in list(workers.items()):
        if w['ev'] not in ready:
            continue
        b = os.read(w['ev'], 4096)
        if not b:
            errors.append('worker %d exited: %s' % (pid, os.waitpid(pid, 0)[1]))
            workers.pop(pid)
            continue
        w['buf'] += b
        while b'\n' in w['buf']:
            line, _, w['buf'] = w['buf'].partition(b'\n')
            word = line.decode().split()
            if word[0] == 'error':
                errors.append(line.decode())
            elif word[0] == 'wait':
                w['state'] = 'blocked'
            elif word[0] == 'received':
                w['state'] = 'received'
            elif word[0] == 'read':
                w['state'] = 'read'
                received[word[2]] = received.get(word[2], 0) + 1
            elif word[0] == 'acked':
                w['state'] = 'acked'
                acked[word[1]] = acked.get(word[1], 0) + 1
        if pid not in workers:
            continue
        if w['state'] in ('received', 'read'):
            if rnd.random() < 0.08:
                kill(pid, 'before reading' if w['state'] == 'received' else 'before ack')
            else:
                os.write(w['go'], b'g')
                w['state'] += ' go'
    # now and then a worker blocked in its receive dies there
    blocked = [pid for pid, w in workers.items() if w['state'] == 'blocked']
    if blocked and rnd.random() < 0.03:
        kill(rnd.choice(blocked), 'blocked')
    while len(workers) < WORKERS and len(acked) < N:
        start()
for pid in list(workers):
    kill(pid, 'at the end')
report('errors', errors)
report('kills', kills)
names = ['msg-%03d' % i for i in range(N)]
report('acked once', sum(1 for n in names if acked.get(n) == 1))
report('acked twice or more', sorted(n for n in acked if acked[n] > 1))
report('never acked', [n for n in names if n not in acked])
report('redelivered', sum(1 for n in received if received[n] > 1))
# the killed workers' files are released asynchronously: wait until no receiver is left
wait_for(lambda: status(q)['receivers'] == '', 'the killed receivers to go')
s = status(q)
report('end', [status_text(q).split()[0], s['curmsgs'], 'held' in s])
`;

test('robust receive: 500 messages, workers SIGKILLed at random before the ack; every message acknowledged exactly once, none lost, nothing held', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await runPython(t, CHAOS, [join(dir, 'mqueue', 'named')], 110_000);
    t.log('seed', r.get('seed'), 'kills', r.get('kills'), 'redelivered', r.get('redelivered'));
    t.is(r.get('made'), '/jobs');
    t.is(r.get('queued'), '500');
    t.deepEqual(r.get('errors'), []);
    t.is(r.get('acked once'), 500);
    t.deepEqual(r.get('acked twice or more'), []);
    t.deepEqual(r.get('never acked'), []);
    const kills = r.get('kills') as Record<string, number>;
    t.true((kills['before reading'] ?? 0) + (kills['before ack'] ?? 0) > 10, 'workers died holding messages');
    t.true((r.get('redelivered') as number) > 10, 'messages of killed workers were received again');
    t.deepEqual(r.get('end'), ['QSIZE:0', '0', false]);
  });
});
