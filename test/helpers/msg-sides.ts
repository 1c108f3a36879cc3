/**
 * Two sides of a System V message queue, for the file-level tests against the kernel
 * (test/fs/mqueue/sysv-*.test.ts): the kernel's own queue driven by kernel-msg processes, and an
 * ipcfs mqueue/sysv/<msqid> file driven by kernel-msg processes in file mode
 * (test/ipc/msg/kernel-msg.c); Players run the same steps on each and read each side's state when
 * it has settled.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Actor } from './kernel-sem.js';
import { blockedIn, startMsgActor, startMsgFileActor } from '../ipc/msg/kernel-msg.js';

/** msgget through sysv/.new; the queue's file. */
export function mountQueue(dir: string, command = 'msgget private mode=0600'): string {
  const sysv = join(dir, 'mqueue', 'sysv');
  const r = spawnSync('bash', ['-c', `exec 3<>"$1"; printf '%s\\n' "$2" >&3 || exit 1; cat <&3`, 'x', join(sysv, '.new'), command], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`msgget on the mount: ${r.stderr}`);
  return join(sysv, r.stdout.trim());
}

/** What both sides show of a queue; pids by actor name. */
export interface MsgState {
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

export const REMOVED = { removed: true } as MsgState;

export interface Side {
  readonly name: string;
  /** the processes, ctl first; slots may be replaced after a kill */
  readonly ctl: Actor;
  /** a new process on this side's queue (through prefix: setpriv as another user) */
  actor(prefix?: readonly string[]): Promise<Actor>;
  /** raw pids; the caller names them */
  state(actors: Actor[]): Promise<MsgState>;
  close(): Promise<void>;
}

/** prefix: run every process through it (setpriv as another user) */
export async function kernelSide(prefix: readonly string[] = []): Promise<Side> {
  const ctl = await startMsgActor(prefix);
  const got = /^ok (\d+)$/.exec(await ctl.run('msgget'));
  if (!got) throw new Error('msgget failed on the kernel');
  const id = got[1]!;
  // a process of its own reads msqid_ds: ctl's answers must not mix with stat's
  const watcher = await startMsgActor(prefix);
  await watcher.run(`use ${id}`);
  const all: Actor[] = [ctl, watcher];
  let removed = false;
  return {
    name: 'kernel',
    ctl,
    async actor(p = prefix) {
      const a = await startMsgActor(p);
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

export async function mountSide(file: string, prefix: readonly string[] = []): Promise<Side> {
  const ctl = await startMsgFileActor(file, prefix);
  const all: Actor[] = [ctl];
  return {
    name: 'ipcfs',
    ctl,
    async actor(p = prefix) {
      const a = await startMsgFileActor(file, p);
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

export type Step = { who: number; cmd: string } | { who: number; signal: 'SIGUSR1' | 'SIGKILL' };
export const describe = (s: Step): string => `${s.who < 0 ? 'ctl' : `a${s.who}`}: ${'cmd' in s ? s.cmd : s.signal}`;

/** One side's processes: ctl and numbered slots; slot i's process is `a<i>.<generation>` on both sides. */
export class Players {
  readonly slots: Actor[] = [];
  readonly names = new Map<number, string>();
  private readonly gen: number[] = [];
  constructor(readonly side: Side) {
    this.names.set(side.ctl.pid, 'ctl');
  }

  async fill(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.replace(i);
  }

  /** One more process (slot n), through prefix; its slot number. */
  async add(prefix?: readonly string[]): Promise<number> {
    const i = this.slots.length;
    await this.replace(i, prefix);
    return i;
  }

  private readonly prefixes: (readonly string[] | undefined)[] = [];

  private async replace(i: number, prefix = this.prefixes[i]): Promise<void> {
    this.gen[i] = (this.gen[i] ?? -1) + 1;
    this.prefixes[i] = prefix;
    const a = await this.side.actor(prefix);
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

export interface Outcome {
  answers: Record<string, string[]>;
  state: MsgState;
}


/** The kernel and a mount side by side: each step runs on the kernel, then on the file. */
export class Pair {
  private constructor(readonly kernel: Players, readonly mount: Players) {}

  /** A kernel queue and the queue file made by mountQueue(dir, getCommand), ctl through prefix. */
  static async open(file: string, prefix: readonly string[] = []): Promise<Pair> {
    return new Pair(new Players(await kernelSide(prefix)), new Players(await mountSide(file, prefix)));
  }

  /** One more process on each side; its slot. */
  async add(prefix?: readonly string[]): Promise<number> {
    const i = await this.kernel.add(prefix);
    await this.mount.add(prefix);
    return i;
  }

  async step(s: Step): Promise<{ kernel: Outcome; mount: Outcome }> {
    await this.kernel.apply(s);
    const kernel: Outcome = { state: await this.kernel.settle(), answers: this.kernel.answers() };
    await this.mount.apply(s);
    const mount: Outcome = { state: await this.mount.settle((st) => isDeepStrictEqual(st, kernel.state)), answers: this.mount.answers() };
    return { kernel, mount };
  }

  async close(): Promise<void> {
    await Promise.all([this.kernel.side.close(), this.mount.side.close()]);
  }
}
