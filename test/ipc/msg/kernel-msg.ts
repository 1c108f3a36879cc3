/**
 * The kernel as the oracle for ipc/msg: test/ipc/msg/kernel-msg.c (built here with gcc) runs
 * System V message queue commands on the kernel's own queues, one process per actor.
 *
 * A blocked call is recognised by the process's wait channel (/proc/PID/wchan: do_msgsnd or
 * do_msgrcv, state S), never by a sleep: a waiter that the kernel woke is TASK_RUNNING (wchan 0)
 * until it answers, and it is woken before the call that woke it returns.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../helpers/mount.js';

let built: string | null = null;

/** Builds kernel-msg.c once per test process. */
export function kernelMsgBinary(): string {
  if (built) return built;
  const dir = mkdtempSync(join(tmpdir(), 'kernel-msg-'));
  chmodSync(dir, 0o755); // actors may run as another user (setpriv)
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'kernel-msg');
  const src = join(PACKAGE_ROOT, 'test', 'ipc', 'msg', 'kernel-msg.c');
  const r = spawnSync('gcc', ['-O2', '-Wall', '-Werror', '-o', out, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.error?.message ?? ''}${r.stderr}`);
  built = out;
  return out;
}

/** Where the process sleeps: 'send', 'receive', or null (running, or anywhere else). */
export function blockedIn(pid: number): 'send' | 'receive' | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'S') return null;
    const wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8');
    return wchan === 'do_msgsnd' ? 'send' : wchan === 'do_msgrcv' ? 'receive' : null;
  } catch {
    return null;
  }
}

/** One kernel-msg process; send() a command line, take() its answers as they come. */
export class KernelActor {
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

  /** prefix: a command to run it through, e.g. setpriv as another user */
  static async start(prefix: readonly string[] = []): Promise<KernelActor> {
    const argv = [...prefix, kernelMsgBinary()];
    const a = new KernelActor(spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] }));
    const m = /^pid (\d+)$/.exec(await a.line(5000));
    if (!m) throw new Error('kernel-msg did not start');
    a.pid = Number(m[1]);
    return a;
  }

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

  /** Waits (without a fixed sleep) until pred holds, at most ms; whether it did. */
  async until(pred: () => boolean, ms = 5000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) return false;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 2);
      });
      this.wake = null;
    }
    return true;
  }

  private async line(ms: number): Promise<string> {
    if (!(await this.until(() => this.lines.length > 0, ms))) throw new Error('kernel-msg did not answer');
    return this.lines.shift()!;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
