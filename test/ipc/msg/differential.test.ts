/**
 * ipc/msg's MsgQueue against the kernel's own System V message queues, step by step: random
 * sequences of msgsnd/msgrcv (every msgtyp form, MSG_EXCEPT, MSG_NOERROR, MSG_COPY, IPC_NOWAIT,
 * blocking receivers and senders in several processes), IPC_SET of msg_qbytes, and IPC_RMID with
 * waiters. After each step both sides' answers (by actor), msqid_ds (cbytes, qnum, qbytes, lspid and
 * lrpid by actor, stime/rtime set or not) and queue contents (read on the kernel with MSG_COPY)
 * must be equal. Every expected answer comes from the kernel at run time.
 *
 * Two things Linux leaves to the scheduler are kept out of the sequences, so that the kernel's
 * answer is one answer: at most one sender sleeps at a time (ss_wakeup wakes every sender that
 * fits, and which of several retries first decides the queue's order), and IPC_SET runs only with at
 * most one sleeping receiver (expunge_all wakes them all to sleep again at the tail, in the order
 * they happen to run). The model's choice in both cases (list order) is tested in msg-queue.test.ts.
 */
import test from 'ava';
import { isDeepStrictEqual } from 'node:util';
import { ErrnoError, errnoName } from '../../../ipc/errno.js';
import { MsgQueue, type MsgWaiter, type Received, type ReceiveWaiter } from '../../../ipc/msg/msg-queue.js';
import { blockedIn, startMsgActor, type KernelActor } from './kernel-msg.js';
import { prng } from '../../helpers/prng.js';

type Cmd =
  | { kind: 'snd'; type: number; text: string; nowait: boolean }
  | { kind: 'rcv'; type: number; max: number; flags: string[] }
  | { kind: 'ipc_set'; qbytes: number };

function render(c: Cmd): string {
  if (c.kind === 'snd') return `snd ${c.type} ${c.text || '-'}${c.nowait ? ' nowait' : ''}`;
  if (c.kind === 'rcv') return `rcv ${c.type} ${c.max}${c.flags.length ? ` ${c.flags.join(',')}` : ''}`;
  return `ipc_set qbytes=${c.qbytes}`;
}


const okText = (r: Received): string => `ok ${r.type} ${r.data.length ? r.data.toString('latin1') : '-'}`;
const errText = (e: unknown): string => {
  if (e instanceof ErrnoError) return `err ${e.code}`;
  throw e;
};

/** The model's actors: answers in order, and the waiter of the call that sleeps. */
class ModelActor {
  answers: string[] = [];
  waiter: MsgWaiter | null = null;
  constructor(readonly pid: number) {}
  get busy(): boolean {
    return this.waiter?.queued ?? false;
  }
}

function applyModel(q: MsgQueue, a: ModelActor, c: Cmd): void {
  const who = { uid: 0, gid: 0, pid: a.pid };
  try {
    if (c.kind === 'snd') {
      const r = q.msgsnd(c.type, Buffer.from(c.text, 'latin1'), { nowait: c.nowait }, who, (e) => a.answers.push(e ? `err ${errnoName(e)}` : 'ok'));
      if (r === 'done') a.answers.push('ok');
      else a.waiter = r;
    } else if (c.kind === 'rcv') {
      const f = new Set(c.flags);
      let w: ReceiveWaiter | null = null;
      const r = q.msgrcv({ type: c.type, maxSize: c.max, nowait: f.has('nowait'), noerror: f.has('noerror'), except: f.has('except'), copy: f.has('copy') }, who, null, (e) =>
        a.answers.push(e ? `err ${errnoName(e)}` : okText(w!.result!)),
      );
      if ('kind' in r) {
        w = r;
        a.waiter = r;
      } else a.answers.push(okText(r));
    } else {
      q.ipcSet({ uid: 0, gid: 0 }, { qbytes: c.qbytes });
      a.answers.push('ok');
    }
  } catch (e) {
    a.answers.push(errText(e));
  }
}

/** msqid_ds and contents, pids by actor name, times set or not. */
function modelDump(q: MsgQueue, names: Map<number, string>): string {
  const s = q.stat();
  const name = (p: number): string => (p ? names.get(p) ?? `?${p}` : '-');
  const msgs = q.messages().map((m) => ` ${m.type}:${m.data.length ? m.data.toString('latin1') : '-'}`);
  return `${s.cbytes} ${s.qnum} ${s.qbytes} ${name(s.lspid)} ${name(s.lrpid)} ${s.stime ? 'set' : '0'} ${s.rtime ? 'set' : '0'}${msgs.join('')}`;
}

function kernelDump(line: string, names: Map<number, string>): string {
  const w = line.split(' ');
  if (w[0] !== 'ok') return line;
  const name = (p: string): string => (p === '0' ? '-' : names.get(Number(p)) ?? `?${p}`);
  return [w[1], w[2], w[3], name(w[4]!), name(w[5]!), w[6] === '0' ? '0' : 'set', w[7] === '0' ? '0' : 'set', ...w.slice(9)].join(' ');
}

const ACTORS = 4;
/** what the sequences exercised, over all runs: the test fails if they missed a kind of sleep */
const seen = { sleptSending: 0, sleptReceiving: 0, e2big: 0, eidrm: 0 };

async function run(seed: number, steps: number): Promise<string | null> {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const ctl = await startMsgActor();
  const actors: KernelActor[] = [];
  let id: string | null = null;
  try {
    const got = /^ok (\d+)$/.exec(await ctl.run('msgget'));
    if (!got) throw new Error('msgget failed on the kernel');
    id = got[1]!;
    for (let i = 0; i < ACTORS; i++) {
      const a = await startMsgActor();
      await a.run(`use ${id}`);
      actors.push(a);
    }
    const kNames = new Map(actors.map((a, i) => [a.pid, `a${i}`]));
    kNames.set(ctl.pid, 'ctl');
    const model = Array.from({ length: ACTORS }, (_, i) => new ModelActor(i + 1));
    const mCtl = new ModelActor(100);
    const mNames = new Map(model.map((a, i) => [a.pid, `a${i}`]));
    mNames.set(mCtl.pid, 'ctl');
    const q = new MsgQueue({ uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600 }, { qbytes: 16384, msgmax: 8192, msgmnb: 16384, now: () => 1 });
    const log: string[] = [];

    const step = async (who: number, c: Cmd): Promise<string | null> => {
      const line = render(c);
      log.push(`${who < 0 ? 'ctl' : `a${who}`}: ${line}`);
      (who < 0 ? ctl : actors[who]!).send(line);
      applyModel(q, who < 0 ? mCtl : model[who]!, c);
      if (who >= 0 && model[who]!.busy) seen[c.kind === 'snd' ? 'sleptSending' : 'sleptReceiving']++;
      if ([...model, mCtl].some((a) => a.answers.includes('err E2BIG'))) seen.e2big++;
      // settle: what the model says sleeps sleeps in the kernel, everything else has answered
      const ok = await ctl.until(
        () =>
          !ctl.busy &&
          actors.every((a, i) => {
            const w = model[i]!.waiter;
            if (!model[i]!.busy) return !a.busy;
            return a.busy && blockedIn(a.pid) === (w && 'kind' in w ? (w as { kind: string }).kind : null);
          }),
        3000,
        2,
      );
      const answers = (xs: { take?: () => string[] }[], m: ModelActor[]): [Record<string, string[]>, Record<string, string[]>] => {
        const k: Record<string, string[]> = {};
        const mm: Record<string, string[]> = {};
        xs.forEach((a, i) => {
          const name = i === ACTORS ? 'ctl' : `a${i}`;
          const ka = a.take!();
          const ma = m[i]!.answers.splice(0);
          if (ka.length) k[name] = ka;
          if (ma.length) mm[name] = ma;
        });
        return [k, mm];
      };
      const [ka, ma] = answers([...actors, ctl], [...model, mCtl]);
      const kd = kernelDump(await ctl.run('dump'), kNames);
      const md = modelDump(q, mNames);
      if (!ok || !isDeepStrictEqual(ka, ma) || kd !== md) {
        return `seed ${seed}, step ${log.length}${ok ? '' : ' (kernel did not settle as the model)'}\n${log.slice(-12).join('\n')}\nkernel answers ${JSON.stringify(ka)}\nmodel  answers ${JSON.stringify(ma)}\nkernel ${kd}\nmodel  ${md}`;
      }
      return null;
    };

    const r0 = await step(-1, { kind: 'ipc_set', qbytes: 30 });
    if (r0) return r0;
    for (let s = 0; s < steps; s++) {
      const free = model.map((a, i) => (a.busy ? -1 : i)).filter((i) => i >= 0);
      const who = free.length ? pick(free) : -1;
      const roll = rnd();
      let c: Cmd;
      if (roll < 0.08 && q.receivers().length <= 1) c = { kind: 'ipc_set', qbytes: 8 + Math.floor(rnd() * 40) };
      else if (roll < 0.55) {
        const text = Array.from({ length: Math.floor(rnd() * 13) }, () => pick([...'abcdefgh'])).join('');
        const nowait = who < 0 || rnd() < 0.3 || (q.senders().length > 0 && !q.fits(text.length));
        c = { kind: 'snd', type: 1 + Math.floor(rnd() * 4), text, nowait };
      } else {
        const flags: string[] = [];
        const copy = rnd() < 0.06;
        if (copy) flags.push('copy', 'nowait');
        else if (who < 0 || rnd() < 0.35) flags.push('nowait');
        if (rnd() < 0.3) flags.push('noerror');
        if (!copy && rnd() < 0.2) flags.push('except');
        c = { kind: 'rcv', type: copy ? Math.floor(rnd() * 4) : Math.floor(rnd() * 9) - 4, max: Math.floor(rnd() * 13), flags };
      }
      const r = await step(who, c);
      if (r) return r;
    }
    // IPC_RMID with whoever sleeps: every one gets EIDRM
    log.push('ctl: rmid');
    ctl.send('rmid');
    const mBusy = model.filter((a) => a.busy);
    q.remove();
    mCtl.answers.push('ok');
    await ctl.until(() => !ctl.busy && actors.every((a) => !a.busy), 3000, 2);
    const k = actors.map((a) => a.take());
    const m = model.map((a) => a.answers.splice(0));
    seen.eidrm += mBusy.length;
    if (!isDeepStrictEqual(k, m) || ctl.take().join() !== mCtl.answers.join()) return `seed ${seed}, rmid with ${mBusy.length} waiters: kernel ${JSON.stringify(k)} model ${JSON.stringify(m)}`;
    return null;
  } finally {
    // the kernel's queue outlives its processes: remove it whatever happened (an error if it is gone)
    if (id !== null && !ctl.busy) await ctl.run('rmid');
    await Promise.all([ctl, ...actors].map((a) => a.kill()));
  }
}

test('random msgsnd/msgrcv sequences by several processes: the same answers, msqid_ds and contents as the kernel, step by step', async (t) => {
  const base = Number(process.env.MSG_DIFF_SEED ?? Date.now() % 100000);
  t.log(`seeds from ${base} (MSG_DIFF_SEED to replay)`);
  for (let i = 0; i < 4; i++) {
    const failure = await run(base + i, 120);
    if (failure) return t.fail(failure);
  }
  t.log(JSON.stringify(seen));
  t.true(seen.sleptSending > 0 && seen.sleptReceiving > 0 && seen.e2big > 0 && seen.eidrm > 0, 'the sequences slept in both calls, met E2BIG and removed a queue with waiters');
});
