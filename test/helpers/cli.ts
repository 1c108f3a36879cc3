/** The ipcfs CLI as a child process, for the tests of tools/ (test/tools). */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { CLI, freshDir } from './mount.js';

export interface Run {
  code: number | null;
  out: Buffer;
  err: string;
  ms: number;
}

/**
 * A command as a child, awaited (not spawnSync: the tests of a file run side by side, and one
 * blocked event loop would starve the others' handshakes).
 */
export function shell(argv: string[], input?: Buffer | string, env?: NodeJS.ProcessEnv): Promise<Run> {
  const t0 = Date.now();
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.on('error', () => {});
  child.stdin.end(input ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out: Buffer.concat(out), err, ms: Date.now() - t0 })));
}

/** `ipcfs TOOL --mount MOUNT ARGS...` (TOOL: mq, shm), stdin given. */
export function ipcfsTool(tool: string, mount: string, args: string[], input?: Buffer | string, env?: NodeJS.ProcessEnv): Promise<Run> {
  return shell([process.execPath, CLI, tool, '--mount', mount, ...args], input, env);
}

export const mq = (mount: string, args: string[], input?: Buffer | string, env?: NodeJS.ProcessEnv): Promise<Run> => ipcfsTool('mq', mount, args, input, env);

export const text = (r: Run): string => r.out.toString();

/** A temporary directory removed when the test ends. */
export function scratch(t: ExecutionContext, prefix: string): string {
  const d = freshDir(prefix);
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A CLI child still running: its stdout so far, and how it exits (128+N for signal N). */
export interface Running {
  cli: ChildProcess;
  out(): string;
  exit: Promise<number | null>;
}

/**
 * `ipcfs mq receive NAME ARGS -- sh -c 'echo $$; exec sleep 60'`: CMD prints its pid (the
 * handshake: it runs with the message held) and sleeps until the test kills it by that pid.
 */
export function sleepingWorker(mount: string, name: string, args: string[] = []): Running {
  const cli = spawn(process.execPath, [CLI, 'mq', '--mount', mount, 'receive', name, ...args, '--', 'sh', '-c', 'echo $$; exec sleep 60'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  cli.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => cli.on('exit', (code, sig) => r(code ?? (sig === 'SIGKILL' ? 137 : null))));
  return { cli, out: () => out, exit };
}
