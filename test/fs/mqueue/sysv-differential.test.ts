/**
 * System V message queues as files against the kernel's own queues, step by step: the same random
 * msgsnd/msgrcv sequences (every msgtyp form, MSG_EXCEPT, MSG_NOERROR, IPC_NOWAIT, senders and
 * receivers sleeping in several processes, signals and SIGKILL on sleepers, IPC_SET of msg_qbytes,
 * IPC_RMID with waiters) run by kernel-msg processes on a kernel queue and by kernel-msg processes
 * in file mode on an ipcfs mqueue/sysv/<msqid> file (test/ipc/msg/kernel-msg.c). After every step
 * both sides' answers (by actor) and state (cbytes, qnum, qbytes, lspid and lrpid by actor, stime
 * and rtime set or not, how many senders and receivers sleep) must be equal. Every expected answer
 * comes from the kernel at run time.
 *
 * As in test/ipc/msg/differential.test.ts, what Linux leaves to the scheduler is kept out of the
 * sequences: at most one sender sleeps at a time, and IPC_SET runs with at most one sleeping receiver.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Actor } from '../../helpers/kernel-sem.js';
import { mountTest, startDaemon, stopDaemon, type Daemon } from '../../helpers/mount.js';
import { blockedIn, startMsgActor, startMsgFileActor } from '../../ipc/msg/kernel-msg.js';

const test = mountTest();

let daemon: Daemon | null = null;
test.before(async () => {
  daemon = await startDaemon();
});
test.after.always(async () => {
  if (daemon) await stopDaemon(daemon);
});

/** msgget through sysv/.new; the queue's file. */
export function mountQueue(dir: string, command = 'msgget private mode=0600'): string {
  const sysv = join(dir, 'mqueue', 'sysv');
  const r = spawnSync('bash', ['-c', `exec 3<>"$1"; printf '%s\\n' "$2" >&3 || exit 1; cat <&3`, 'x', join(sysv, '.new'), command], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`msgget on the mount: ${r.stderr}`);
  return join(sysv, r.stdout.trim());
}

/** What both sides show of a queue; pids by actor name. */
interface MsgState {
  cbytes: number;
  qnum: number;
  qbytes: number;
  lspid: string;
  lrpid: string;
  stime: boolean;
  rtime: boolean;
  senders: number;
  receivers: number;
  removed?: true;
}

const REMOVED = { removed: true } as MsgState;

interface Side {
  readonly name: string;
  /** the processes, ctl first; slots may be replaced after a kill */
  readonly ctl: Actor;
  actor(): Promise<Actor>;
  /** raw pids; the caller names them */
  state(actors: Actor[]): Promise<MsgState>;
  close(): Promise<void>;
}

async function kernelSide(): Promise<Side> {
  const ctl = await startMsgActor();
  const got = /^ok (\d+)$/.exec(await ctl.run('msgget'));
  if (!got) throw new Error('msgget failed on the kernel');
  const id = got[1]!;
  // a process of its own reads msqid_ds: ctl's answers must not mix with stat's
  const watcher = await startMsgActor();
  await watcher.run(`use ${id}`);
  const all: Actor[] = [ctl, watcher];
  let removed = false;
  return {
    name: 'kernel',
    ctl,
    async actor() {
      const a = await startMsgActor();
      await a.run(`use ${id}`);
      all.push(a);
      return a;
    },
    async state(actors) {
      const line = await watcher.run('stat');
      if (line === 'err EINVAL' || line === 'err EIDRM') {
        removed = true;
        return REMOVED;
      }
      const w = line.split(' ');
      if (w[0] !== 'ok') throw new Error(`stat: ${line}`);
      const where = actors.filter((a) => a.busy).map((a) => blockedIn(a.pid));
      return {
        cbytes: Number(w[1]),
        qnum: Number(w[2]),
        qbytes: Number(w[3]),
        lspid: w[4]!,
        lrpid: w[5]!,
        stime: w[6] !== '0',
        rtime: w[7] !== '0',
        senders: where.filter((x) => x === 'send').length,
        receivers: where.filter((x) => x === 'receive').length,
      };
    },
    async close() {
      // the kernel's queue outlives its processes
      if (!removed) await watcher.run('rmid');
      await Promise.all(all.map((a) => a.kill()));
    },
  };
}

/** Parses a queue file's status (docs/protocol.md, "System V: mqueue/sysv/<msqid>"). */
export function parseMsgStatus(text: string): MsgState {
  const field = (name: string): string => {
    const m = new RegExp(`^${name}: (.*)$`, 'm').exec(text);
    if (!m) throw new Error(`no ${name}: in the status:\n${text}`);
    return m[1]!;
  };
  return {
    cbytes: Number(field('cbytes')),
    qnum: Number(field('qnum')),
    qbytes: Number(field('qbytes')),
    lspid: field('lspid'),
    lrpid: field('lrpid'),
    stime: field('stime') !== 'never',
    rtime: field('rtime') !== 'never',
    senders: Number(field('senders')),
    receivers: Number(field('receivers')),
  };
}

async function mountSide(file: string): Promise<Side> {
  const ctl = await startMsgFileActor(file);
  const all: Actor[] = [ctl];
  return {
    name: 'ipcfs',
    ctl,
    async actor() {
      const a = await startMsgFileActor(file);
      all.push(a);
      return a;
    },
    async state() {
      try {
        return parseMsgStatus(readFileSync(file, 'utf8'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return REMOVED;
        throw err;
      }
    },
    async close() {
      await Promise.all(all.map((a) => a.kill()));
    },
  };
}

type Step = { who: number; cmd: string } | { who: number; signal: 'SIGUSR1' | 'SIGKILL' };
const describe = (s: Step): string => `${s.who < 0 ? 'ctl' : `a${s.who}`}: ${'cmd' in s ? s.cmd : s.signal}`;

/** One side's processes: ctl and numbered slots; slot i's process is `a<i>.<generation>` on both sides. */
class Players {
  readonly slots: Actor[] = [];
  readonly names = new Map<number, string>();
  private readonly gen: number[] = [];
  constructor(readonly side: Side) {
    this.names.set(side.ctl.pid, 'ctl');
  }

  async fill(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.replace(i);
  }

  private async replace(i: number): Promise<void> {
    this.gen[i] = (this.gen[i] ?? -1) + 1;
    const a = await this.side.actor();
    this.names.set(a.pid, `a${i}.${this.gen[i]}`);
    this.slots[i] = a;
  }

  of(who: number): Actor {
    return who < 0 ? this.side.ctl : this.slots[who]!;
  }

  all(): Actor[] {
    return [this.side.ctl, ...this.slots];
  }

  async apply(s: Step): Promise<void> {
    const a = this.of(s.who);
    if ('cmd' in s) return a.send(s.cmd);
    process.kill(a.pid, s.signal);
    if (s.signal === 'SIGKILL') {
      await a.kill();
      await this.replace(s.who);
    }
  }

  /** Answers that arrived, by actor name. */
  answers(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const a of this.all()) {
      const got = a.take();
      if (got.length) out[this.names.get(a.pid)!] = got;
    }
    return out;
  }

  named(s: MsgState): MsgState {
    if (s.removed) return s;
    const name = (p: string): string => (p === '0' ? '-' : this.names.get(Number(p)) ?? `?${p}`);
    return { ...s, lspid: name(s.lspid), lrpid: name(s.lrpid) };
  }

  /**
   * Settled: every process without an answer sleeps in the queue (as many senders and receivers as
   * busy processes), and a second read equals the first with no answer in between (a torn read
   * once failed the semaphores' CI). until: the other side's state, when this side may lag (the
   * release of a killed process's file is asynchronous); at most ms.
   */
  async settle(until: (s: MsgState) => boolean = () => true, ms = 3000): Promise<MsgState> {
    const deadline = Date.now() + ms;
    const busyNow = (): number => this.all().filter((a) => a.busy).length;
    for (;;) {
      const busy = busyNow();
      const s = this.named(await this.side.state(this.all()));
      const sleeping = s.removed ? 0 : s.senders + s.receivers;
      if (busy === sleeping && until(s)) {
        const again = this.named(await this.side.state(this.all()));
        if (busyNow() === busy && isDeepStrictEqual(again, s)) return s;
      }
      if (Date.now() > deadline) return s;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

interface Outcome {
  answers: Record<string, string[]>;
  state: MsgState;
}

const ACTORS = 4;

/** mulberry32: a sequence is reproducible from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The next step, chosen from the kernel's settled state (who sleeps, what fits). */
function nextStep(rnd: () => number, state: MsgState, busy: boolean[]): Step {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const free = busy.map((b, i) => (b ? -1 : i)).filter((i) => i >= 0);
  const sleeping = busy.map((b, i) => (b ? i : -1)).filter((i) => i >= 0);
  const who = free.length ? pick(free) : -1;
  const roll = rnd();
  if (sleeping.length && roll < 0.06) return { who: pick(sleeping), signal: rnd() < 0.5 ? 'SIGUSR1' : 'SIGKILL' };
  if (roll < 0.12 && state.receivers <= 1) return { who, cmd: `ipc_set qbytes=${8 + Math.floor(rnd() * 40)}` };
  if (roll < 0.55) {
    const text = Array.from({ length: Math.floor(rnd() * 13) }, () => pick([...'abcdefgh'])).join('');
    const fits = state.cbytes + text.length <= state.qbytes && state.qnum + 1 <= state.qbytes;
    const nowait = who < 0 || rnd() < 0.3 || (state.senders > 0 && !fits);
    return { who, cmd: `snd ${1 + Math.floor(rnd() * 4)} ${text || '-'}${nowait ? ' nowait' : ''}` };
  }
  const flags: string[] = [];
  if (who < 0 || rnd() < 0.35) flags.push('nowait');
  if (rnd() < 0.3) flags.push('noerror');
  if (rnd() < 0.2) flags.push('except');
  return { who, cmd: `rcv ${Math.floor(rnd() * 9) - 4} ${Math.floor(rnd() * 13)}${flags.length ? ` ${flags.join(',')}` : ''}` };
}

/** what the sequences met, over all seeds: the test fails if they missed a kind */
const seen = { sleptSending: 0, sleptReceiving: 0, e2big: 0, eintr: 0, killed: 0, eidrm: 0 };

async function run(seed: number, steps: number): Promise<string | null> {
  const rnd = prng(seed);
  const kernel = new Players(await kernelSide());
  const mount = new Players(await mountSide(mountQueue(daemon!.dir)));
  const log: string[] = [];
  try {
    await kernel.fill(ACTORS);
    await mount.fill(ACTORS);
    const step = async (s: Step): Promise<string | null> => {
      log.push(describe(s));
      await kernel.apply(s);
      const k: Outcome = { state: await kernel.settle(), answers: kernel.answers() };
      await mount.apply(s);
      const m: Outcome = { state: await mount.settle((st) => isDeepStrictEqual(st, k.state)), answers: mount.answers() };
      const all = Object.values(k.answers).flat();
      seen.e2big += all.filter((x) => x === 'err E2BIG').length;
      seen.eintr += all.filter((x) => x === 'err EINTR').length;
      seen.eidrm += all.filter((x) => x === 'err EIDRM').length;
      if ('signal' in s && s.signal === 'SIGKILL') seen.killed++;
      if (!isDeepStrictEqual(m, k)) return `seed ${seed}, step ${log.length}\n${log.slice(-15).join('\n')}\nkernel ${JSON.stringify(k)}\nipcfs  ${JSON.stringify(m)}`;
      return null;
    };
    let failure = await step({ who: -1, cmd: 'ipc_set qbytes=30' });
    let state = await kernel.settle();
    for (let i = 0; i < steps && !failure; i++) {
      const s = nextStep(rnd, state, kernel.slots.map((a) => a.busy));
      failure = await step(s);
      state = await kernel.settle();
      seen.sleptSending = Math.max(seen.sleptSending, state.senders);
      seen.sleptReceiving = Math.max(seen.sleptReceiving, state.receivers);
    }
    // IPC_RMID with whoever sleeps: every one of them gets EIDRM
    return failure ?? (await step({ who: -1, cmd: 'rmid' }));
  } finally {
    await Promise.all([kernel.side.close(), mount.side.close()]);
  }
}

test('random msgsnd/msgrcv sequences on a queue file give the kernel\'s answers and msqid_ds, step by step (sleepers, signals, SIGKILL, IPC_SET, IPC_RMID)', async (t) => {
  const seeds = process.env.MSG_FILE_DIFF_SEED ? [Number(process.env.MSG_FILE_DIFF_SEED)] : [20261124, 7, 4242];
  for (const seed of seeds) {
    const failure = await run(seed, 100);
    if (failure) return t.fail(failure);
  }
  t.log(JSON.stringify(seen));
  t.true(seen.sleptSending > 0 && seen.sleptReceiving > 0 && seen.e2big > 0 && seen.eintr > 0 && seen.killed > 0 && seen.eidrm > 0, `the sequences met every kind: ${JSON.stringify(seen)}`);
});
