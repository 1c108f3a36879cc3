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
import { isDeepStrictEqual } from 'node:util';
import { mountTest, startDaemon, stopDaemon, type Daemon } from '../../helpers/mount.js';
import { describe, mountQueue, Pair, type MsgState, type Step } from '../../helpers/msg-sides.js';
import { prng } from '../../helpers/prng.js';

const test = mountTest();

let daemon: Daemon | null = null;
test.before(async () => {
  daemon = await startDaemon();
});
test.after.always(async () => {
  if (daemon) await stopDaemon(daemon);
});

const ACTORS = 4;


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
  const pair = await Pair.open(mountQueue(daemon!.dir));
  const { kernel } = pair;
  const log: string[] = [];
  try {
    for (let i = 0; i < ACTORS; i++) await pair.add();
    const step = async (s: Step): Promise<string | null> => {
      log.push(describe(s));
      const { kernel: k, mount: m } = await pair.step(s);
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
    await pair.close();
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
