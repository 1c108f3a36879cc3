/**
 * A driver for kernel-ipc.c (built here with gcc) run in its own IPC namespace (`unshare -i`): the
 * kernel objects it makes are the only ones its /proc/sysvipc shows, and they go with the
 * namespace when the helper exits. Commands are sent one at a time; answers are lines, except
 * `cat`'s (a "len N" line, then N bytes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { builtOnce } from '../../helpers/c-helper.js';

export const kernelIpcBinary = (): string => builtOnce('test/fs/sysvipc/kernel-ipc.c');

export class KernelIpc {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private readonly child: ChildProcess;
  readonly exited: Promise<void>;

  private constructor(prefix: string[]) {
    const argv = [...prefix, kernelIpcBinary()];
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', () => resolve()));
  }

  /** A helper in a new IPC namespace (root only: unshare -i). */
  static async start(prefix: string[] = ['unshare', '-i']): Promise<KernelIpc> {
    const k = new KernelIpc(prefix);
    const first = await k.line();
    if (!/^pid \d+$/.test(first)) throw new Error(`kernel-ipc did not start: ${first}`);
    return k;
  }

  private async take(n: number | null): Promise<Buffer> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const end = n === null ? this.buf.indexOf(10) : this.buf.length >= n ? n : -1;
      if (end >= 0) {
        const out = this.buf.subarray(0, end);
        this.buf = this.buf.subarray(n === null ? end + 1 : end);
        return out;
      }
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error('kernel-ipc: no answer');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 200);
      });
      this.wake = null;
    }
  }

  private async line(): Promise<string> {
    return (await this.take(null)).toString();
  }

  /** One command; its answer line (an error answer throws). */
  async do(cmd: string): Promise<number> {
    this.child.stdin!.write(`${cmd}\n`);
    const a = await this.line();
    if (!/^\d+$/.test(a)) throw new Error(`kernel-ipc ${cmd}: ${a}`);
    return Number(a);
  }

  /** A file as the helper (in its namespace) reads it. */
  async cat(path: string): Promise<string> {
    return this.framed(`cat ${path}`);
  }

  /** A shell command's output, run by the helper (in its namespace). */
  async sh(command: string): Promise<string> {
    return this.framed(`sh ${command}`);
  }

  private async framed(cmd: string): Promise<string> {
    this.child.stdin!.write(`${cmd}\n`);
    const m = /^len (\d+)$/.exec(await this.line());
    if (!m) throw new Error(`kernel-ipc ${cmd} failed`);
    return (await this.take(Number(m[1]))).toString('latin1');
  }

  /** Ends the helper (its namespace and objects go with it). */
  async stop(): Promise<void> {
    this.child.stdin!.end();
    await this.exited;
  }
}
