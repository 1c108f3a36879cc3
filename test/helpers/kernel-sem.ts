/**
 * The kernel as the oracle for ipcfs's System V semaphores: the same commands run on the kernel's own
 * semop/semctl (test/fs/semaphores/kernel-sem.c, built here with gcc) and on an ipcfs mount, each by
 * its own processes ("actors"), and the two sides' answers and states are compared step by step.
 *
 * An actor is one process: on the kernel side its SEM_UNDO adjustments are its own and apply when it
 * exits; on the mount side it holds one open file description of the set's file, whose adjustments
 * apply when it closes — so one actor is the same undo holder on both sides.
 *
 * Settling never sleeps for a fixed time: a side has settled when every actor that has not answered
 * is counted as a waiter (the sum of all semaphores' ncnt and zcnt counts each waiter exactly once).
 */
import { isDeepStrictEqual } from 'node:util';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtOnce } from './c-helper.js';

/** Builds kernel-sem.c once per test process. */
export const kernelSemBinary = (): string => builtOnce('test/fs/semaphores/kernel-sem.c');

/** One helper process; send() a command line, next() its answers in order. */
export class Actor {
  private buffered = '';
  private readonly lines: string[] = [];
  private wake: (() => void) | null = null;
  private sent = 0;
  private answered = 0;
  pid = 0;
  readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      this.buffered += d;
      let i: number;
      while ((i = this.buffered.indexOf('\n')) >= 0) {
        this.lines.push(this.buffered.slice(0, i));
        this.buffered = this.buffered.slice(i + 1);
      }
      this.wake?.();
    });
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
  }

  /** command: the helper to run (kernel-sem by default; test/ipc/msg's kernel-msg, maybe behind setpriv) */
  static async start(args: string[], command: readonly string[] = [kernelSemBinary()]): Promise<Actor> {
    const a = new Actor(spawn(command[0]!, [...command.slice(1), ...args], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const first = await a.line(5000);
    const m = /^pid (\d+)$/.exec(first);
    if (!m) throw new Error(`${command.at(-1)} did not start: ${first}`);
    a.pid = Number(m[1]);
    return a;
  }

  /** Sends one command; its answer is collected later (it may block). */
  send(cmd: string): void {
    this.sent++;
    this.child.stdin!.write(`${cmd}\n`);
  }

  /** Has a command without an answer yet (blocked, or on its way). */
  get busy(): boolean {
    return this.answered + this.lines.length < this.sent;
  }

  /** Answers that arrived and were not taken yet. */
  take(): string[] {
    this.answered += this.lines.length;
    return this.lines.splice(0);
  }

  /** Runs one command that does not block and returns its answer. */
  async run(cmd: string): Promise<string> {
    this.send(cmd);
    const r = await this.line(5000);
    this.answered++;
    return r;
  }

  /** Waits (no fixed sleep: an answer wakes it, else it polls every pollMs) until pred holds, at most ms; whether it did. */
  async until(pred: () => boolean, ms = 5000, pollMs = 100): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) return false;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, pollMs);
      });
      this.wake = null;
    }
    return true;
  }

  private async line(ms: number): Promise<string> {
    if (!(await this.until(() => this.lines.length > 0, ms))) throw new Error('kernel helper did not answer');
    return this.lines.shift()!;
  }

  /** exit: the process ends normally (its undo applies on the kernel side, its file closes on the mount). */
  async exit(): Promise<void> {
    this.child.stdin!.end('exit\n');
    await this.exited;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** What semctl tells of a set (GETALL, GETNCNT, GETZCNT, GETPID per semaphore; otime set or not). */
export interface SemState {
  values: number[];
  ncnt: number[];
  zcnt: number[];
  /** actor names ('-' for 0) */
  pids: string[];
  otime: boolean;
  /** IPC_RMID done: the kernel knows the id no more; ipcfs has no file for it any more */
  removed?: true;
}

const REMOVED: SemState = { values: [], ncnt: [], zcnt: [], pids: [], otime: false, removed: true };

export interface Side {
  readonly name: string;
  /** a new actor process on this side's set */
  actor(): Promise<Actor>;
  state(): Promise<SemState>;
  close(): Promise<void>;
}

const list = (s: string): number[] => s.split(',').map(Number);

/** The kernel's own set, read through a controller process. */
export async function kernelSide(nsems: number): Promise<Side & { semid: number }> {
  const ctl = await Actor.start(['kernel']);
  const r = await ctl.run(`semget ${nsems}`);
  const m = /^ok (\d+)$/.exec(r);
  if (!m) throw new Error(`semget: ${r}`);
  const semid = Number(m[1]);
  const actors: Actor[] = [];
  return {
    name: 'kernel',
    semid,
    async actor() {
      const a = await Actor.start(['kernel']);
      await a.run(`use ${semid}`);
      actors.push(a);
      return a;
    },
    async state() {
      const d = await ctl.run('dump');
      if (d === 'err EINVAL' || d === 'err EIDRM') return REMOVED;
      const f = /^ok (\S+) (\S+) (\S+) (\S+) (\d+)$/.exec(d);
      if (!f) throw new Error(`dump: ${d}`);
      return { values: list(f[1]!), ncnt: list(f[2]!), zcnt: list(f[3]!), pids: list(f[4]!).map(String), otime: f[5] !== '0' };
    },
    async close() {
      await ctl.run(`use ${semid}`);
      await ctl.run('rmid');
      await Promise.all([...actors, ctl].map((a) => a.kill()));
    },
  };
}

/** The mount's set at file, read from its status text. */
export function mountSide(file: string): Side {
  const actors: Actor[] = [];
  return {
    name: 'ipcfs',
    async actor() {
      const a = await Actor.start(['file', file]);
      actors.push(a);
      return a;
    },
    async state() {
      try {
        return parseStatus(readFileSync(file, 'utf8'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return REMOVED;
        throw err;
      }
    },
    async close() {
      await Promise.all(actors.map((a) => a.kill()));
    },
  };
}

export function parseStatus(text: string): SemState {
  const field = (name: string): string => new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1] ?? '';
  const values = field('value').split(' ').map(Number);
  const pids = field('pid').split(' ');
  const per = [...text.matchAll(/^sem (\d+): value=\d+ ncnt=(\d+) zcnt=(\d+)/gm)];
  const ncnt = per.length ? per.map((m) => Number(m[2])) : [Number(field('ncnt'))];
  const zcnt = per.length ? per.map((m) => Number(m[3])) : [Number(field('zcnt'))];
  return { values, ncnt, zcnt, pids, otime: field('otime') !== 'never' };
}

/**
 * Waits (by polling the set, never a fixed sleep) until every actor without an answer is counted as a
 * waiter, and a second read agrees with the first with no answer in between: the kernel's state is
 * several semctl calls (GETALL, then GETNCNT and GETZCNT per semaphore), so a semop that lands
 * between them gives a torn read (values from before it, counts from after) that can pass the count
 * check; it never reads the same twice around a change.
 */
export async function settle(side: Side, actors: Actor[], until: (s: SemState) => boolean = () => true, ms = 5000): Promise<SemState> {
  const deadline = Date.now() + ms;
  const busyNow = (): number => actors.filter((a) => a.busy).length;
  for (;;) {
    // counted before the read: an answer that arrives during it may come with changes the read missed
    const busy = busyNow();
    const s = await side.state();
    const waiters = [...s.ncnt, ...s.zcnt].reduce((a, b) => a + b, 0);
    if (busy === waiters && until(s)) {
      const again = await side.state();
      if (busyNow() === busy && isDeepStrictEqual(again, s)) return s;
    }
    if (Date.now() > deadline) return s;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Names pids after the actors (the same actor is a different process on each side). */
export function namePids(s: SemState, names: Map<number, string>): SemState {
  return { ...s, pids: s.pids.map((p) => (p === '0' ? '-' : names.get(Number(p)) ?? `?${p}`)) };
}
