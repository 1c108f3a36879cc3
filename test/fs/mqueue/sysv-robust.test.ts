/**
 * Robust receive on System V message queue files (issue 7 point 4, docs/protocol.md "Robust
 * receive"), on a real mount: a message received with `undo` stays held by the receiving open file
 * until `ack`; when the file is released first (close, exit, SIGKILL) it goes back to its place in
 * the queue (arrival order).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mountTest, startDaemon, stopDaemon, type Daemon } from '../../helpers/mount.js';
import { mountQueue } from '../../helpers/msg-sides.js';
import { python } from '../../helpers/python.js';

const test = mountTest();

let daemon: Daemon | null = null;
test.before(async () => {
  daemon = await startDaemon();
});
test.after.always(async () => {
  if (daemon) await stopDaemon(daemon);
});

const status = (file: string): string => readFileSync(file, 'utf8');
const field = (text: string, name: string): string => new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1] ?? '';

test('held messages show in the status (id, type, size, pid, comm); released by close or SIGKILL they go back to their places, in arrival order', async (t) => {
  const file = mountQueue(daemon!.dir);
  const r = await python(
    `import os, sys, json, signal, time
path = sys.argv[1]
q = os.open(path, os.O_RDWR)
for i in range(1, 9):
    os.write(q, b'send %d\\nm%d' % (i, i))
def receive(fd, cmd=b'receive undo'):
    os.write(fd, cmd)
    head, _, body = os.read(fd, 1000).partition(b'\\n')
    os.read(fd, 1000)  # the answer's end of file
    return head.decode(), body.decode()
def held():
    return [l for l in open(path).read().splitlines() if l.startswith('held')]
# a worker in another process takes m1, m2, m3 with undo and acknowledges m2, then is SIGKILLed
rd, wr = os.pipe()
pid = os.fork()
if pid == 0:
    fd = os.open(path, os.O_RDWR)
    got = [receive(fd) for _ in range(3)]
    os.write(fd, b'ack ' + got[1][0].split('id=')[1].encode())
    os.write(wr, json.dumps(got).encode())
    time.sleep(60)
    os._exit(0)
print(json.dumps(['worker got', json.loads(os.read(rd, 10000))]))
comm = open('/proc/self/comm').read().strip()
print(json.dumps(['held', held()[:2], [l.replace('pid=%d ' % pid, 'pid=PID ').replace('comm=' + comm, 'comm=COMM') for l in held()[2:]]]))
# this process takes m4 with undo on a second open file
h = os.open(path, os.O_RDWR)
print(json.dumps(['took', receive(h)]))
print(json.dumps(['qnum', [l for l in open(path).read().splitlines() if l.startswith('qnum')]]))
os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
deadline = time.monotonic() + 5
while len(held()) != 3 and time.monotonic() < deadline:
    time.sleep(0.005)
print(json.dumps(['after kill', held()[:2]]))
os.close(h)
deadline = time.monotonic() + 5
while len(held()) != 2 and time.monotonic() < deadline:
    time.sleep(0.005)
print(json.dumps(['after close', held()]))
print(json.dumps(['order', [receive(q, b'receive nowait')[1] for _ in range(7)]]))`,
    [file],
  );
  t.deepEqual(r.results, [
    ['worker got', [['type=1 size=2 id=1', 'm1'], ['type=2 size=2 id=2', 'm2'], ['type=3 size=2 id=3', 'm3']]],
    ['held', ['held: 2', 'held-bytes: 4'], ['held: id=1 type=1 size=2 pid=PID comm=COMM', 'held: id=3 type=3 size=2 pid=PID comm=COMM']],
    ['took', ['type=4 size=2 id=4', 'm4']],
    ['qnum', ['qnum: 4']],
    ['after kill', ['held: 1', 'held-bytes: 2']],
    ['after close', ['held: 0', 'held-bytes: 0']],
    ['order', ['m1', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8']],
  ], r.err);
});

const WORKER = String.raw`
import os, sys, time, random
path = sys.argv[1]
fd = os.open(path, os.O_RDWR)
out = lambda *w: os.write(1, (' '.join(map(str, w)) + '\n').encode())
out('ready', os.getpid())
while True:
    os.write(fd, b'receive undo')
    got = b''
    while True:
        b = os.read(fd, 4096)
        if not b: break
        got += b
    head, _, body = got.partition(b'\n')
    mid = head.split(b'id=')[1].decode()
    out('recv', body.decode(), time.monotonic())
    time.sleep(random.random() * 0.002)
    if random.random() < 0.05:
        out('close', body.decode())
        os._exit(0)
    out('acking', body.decode())
    os.write(fd, b'ack ' + mid.encode())
    out('acked', body.decode(), time.monotonic())
`;

interface Worker {
  child: ChildProcess;
  out: string;
  exited: Promise<void>;
}

/** the interpreter itself, not a version manager's shim: workers start often */
let pythonBinary: string | null = null;

function startWorker(file: string): Worker {
  pythonBinary ??= spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim() || 'python3';
  const child = spawn(pythonBinary, ['-c', WORKER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const w: Worker = { child, out: '', exited: new Promise((resolve) => child.on('close', () => resolve())) };
  child.stdout!.on('data', (d: Buffer) => (w.out += d.toString()));
  return w;
}

test('chaos: 500 messages, workers that receive with undo and are SIGKILLed at random or close without acknowledging: every message is acknowledged exactly once, none lost, none twice', async (t) => {
  const file = mountQueue(daemon!.dir);
  const N = 500;
  const sent = await python(
    `import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for i in range(${N}):
    os.write(fd, b'send %d\\n' % (1 + i % 7) + b'm%d' % i)`,
    [file],
  );
  t.is(sent.code, 0, sent.err);
  t.is(field(status(file), 'qnum'), String(N));

  const WORKERS = 4;
  const all: Worker[] = [];
  const live: Worker[] = [];
  for (let i = 0; i < WORKERS; i++) live.push(startWorker(file));
  all.push(...live);
  let kills = 0;
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      const s = status(file);
      // drained: nothing queued and nothing held means every message was acknowledged
      if (field(s, 'qnum') === '0' && field(s, 'held') === '0') break;
      if (Date.now() > deadline) return t.fail(`not drained in 60 s:\n${s}`);
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 30));
      // replace the dead (closed without ack) and kill one at random
      for (let i = 0; i < live.length; i++) {
        if (live[i]!.child.exitCode !== null || live[i]!.child.signalCode !== null) {
          live[i] = startWorker(file);
          all.push(live[i]!);
        }
      }
      // a worker that runs its loop (not one still starting), at a random moment of it
      const running = live.map((w, i) => (w.out.startsWith('ready') ? i : -1)).filter((i) => i >= 0);
      if (running.length && Math.random() < 0.5) {
        const i = running[Math.floor(Math.random() * running.length)]!;
        live[i]!.child.kill('SIGKILL');
        kills++;
        await live[i]!.exited;
        live[i] = startWorker(file);
        all.push(live[i]!);
      }
    }
  } finally {
    for (const w of live) w.child.kill('SIGKILL');
    await Promise.all(all.map((w) => w.exited));
  }
  const s = status(file);
  t.is(field(s, 'qnum'), '0');
  t.is(field(s, 'held'), '0');

  // per message: its receives and acks in time order (CLOCK_MONOTONIC is one clock for all)
  type Ev = { t: number; what: 'recv' | 'acked' | 'ambiguous' | 'dropped' };
  const events = new Map<string, Ev[]>();
  const add = (m: string, e: Ev): void => void (events.get(m) ?? events.set(m, []).get(m)!).push(e);
  for (const w of all) {
    let current: { m: string; t: number; acking: boolean } | null = null;
    for (const line of w.out.split('\n')) {
      const [verb, m, time] = line.split(' ');
      if (verb === 'recv') {
        current = { m: m!, t: Number(time), acking: false };
        add(m!, { t: Number(time), what: 'recv' });
      } else if (verb === 'acking' && current) current.acking = true;
      else if (verb === 'acked') {
        add(m!, { t: Number(time), what: 'acked' });
        current = null;
      } else if (verb === 'close') current = null;
    }
    // killed after `acking`: the ack may or may not have run; killed before it: the message returned
    if (current) add(current.m, { t: current.t + 1e-9, what: current.acking ? 'ambiguous' : 'dropped' });
  }
  const bad: string[] = [];
  let confirmed = 0;
  for (let i = 0; i < N; i++) {
    const m = `m${i}`;
    const evs = (events.get(m) ?? []).sort((a, b) => a.t - b.t);
    const acks = evs.filter((e) => e.what === 'acked').length;
    confirmed += acks;
    const last = evs.at(-1)?.what;
    // the last event is its one acknowledgement (or a killed worker's ack that ran: nothing came after)
    if (acks > 1) bad.push(`${m} acknowledged ${acks} times`);
    else if (acks === 1 && last !== 'acked') bad.push(`${m} received again after its acknowledgement: ${JSON.stringify(evs)}`);
    else if (acks === 0 && last !== 'ambiguous') bad.push(`${m} lost: ${JSON.stringify(evs)}`);
  }
  t.deepEqual(bad, []);
  t.log(`${kills} SIGKILLs, ${all.length} workers, ${confirmed} acknowledgements seen, ${N - confirmed} by workers killed right after`);
  t.true(kills >= 5, `${kills} kills`);
});
