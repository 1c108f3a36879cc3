/**
 * Real mounts for tests: starts the ipcfs daemon on a fresh mountpoint and always tears it down
 * (SIGTERM, then SIGKILL of the daemon's own pid, then a lazy unmount if anything is left).
 *
 * Skipping: only where /dev/fuse or mounting is unavailable, saying why, and never when CI=true.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type TestFn } from 'ava';
import { mountState, mountUnavailable } from '../../fs/fuse/mount.js';

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = join(PACKAGE_ROOT, 'dist', 'tools', 'ipcfs.js');

/** `test` when real mounts can run here, `test.skip` (after saying why) when they cannot. */
export function mountTest(): TestFn {
  const why = mountUnavailable();
  if (!why) return test;
  if (process.env.CI === 'true') {
    // CI must run them: let each test fail on the real error instead of skipping.
    console.error(`real-mount tests cannot mount (${why}); CI=true, so they run and fail`);
    return test;
  }
  console.error(`skipping real-mount tests: ${why}`);
  return test.skip as unknown as TestFn;
}

export interface Daemon {
  dir: string;
  child: ChildProcess;
  stderr(): string;
  exited: Promise<number | null>;
}

export interface DaemonOptions {
  args?: string[];
  /** Run the daemon through this command prefix (e.g. setpriv as another user). */
  prefix?: string[];
  /** Use this mountpoint instead of a fresh one. */
  dir?: string;
  cli?: string;
  /** The daemon's --log-level (default warn); its log goes to stderr (Daemon.stderr()). */
  logLevel?: string;
  /** When the mount counts as served (default: a live FUSE mount whose semaphores/ stats). */
  ready?: (dir: string) => boolean;
}

export function freshDir(prefix = 'ipcfs-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startDaemon(o: DaemonOptions = {}): Promise<Daemon> {
  const dir = o.dir ?? freshDir();
  const argv = [...(o.prefix ?? []), process.execPath, o.cli ?? CLI, '--log-level', o.logLevel ?? 'warn', 'mount', dir, '--test-files', ...(o.args ?? [])];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const daemon: Daemon = { dir, child, stderr: () => err, exited };
  const deadline = Date.now() + 15_000;
  // checked once more after the deadline: another test's spawnSync may have held this worker's
  // event loop past it while the daemon was mounting
  for (;;) {
    if (child.exitCode !== null) {
      ensureUnmounted(dir);
      throw new Error(`daemon exited ${child.exitCode}: ${err}`);
    }
    if ((o.ready ?? isServed)(dir)) return daemon;
    if (Date.now() >= deadline) break;
    await sleep(50);
  }
  await stopDaemon(daemon);
  throw new Error(`daemon did not mount ${dir} in 15 s: ${err}`);
}

/** Live (statfs answers: not a dead mount's cached attributes) and showing the tree. */
function isServed(dir: string): boolean {
  try {
    if (mountState(dir) !== 'live') return false;
    statSync(join(dir, 'semaphores'));
    return true;
  } catch {
    return false;
  }
}

/** Stops the daemon (by its pid only) and makes sure nothing stays mounted. */
export async function stopDaemon(d: Daemon): Promise<void> {
  if (d.child.exitCode === null && d.child.signalCode === null) {
    d.child.kill('SIGTERM');
    const gone = await Promise.race([d.exited.then(() => true), sleep(5000).then(() => false)]);
    if (!gone) {
      d.child.kill('SIGKILL');
      await d.exited;
    }
  }
  ensureUnmounted(d.dir);
}

export function ensureUnmounted(dir: string): void {
  try {
    if (mountState(dir) !== 'none' || isMountpoint(dir)) spawnSync('umount', ['-l', dir]);
  } catch {
    spawnSync('umount', ['-l', dir]);
  }
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // a lazily unmounted dir may stay busy for a moment; it is in the tmpdir
  }
}

export function isMountpoint(dir: string): boolean {
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((l) => l.split(' ')[4] === dir);
}

/** Runs fn with a live mount; the mount is always torn down. */
export async function withDaemon<T>(fn: (d: Daemon) => Promise<T>, o: DaemonOptions = {}): Promise<T> {
  const d = await startDaemon(o);
  try {
    return await fn(d);
  } finally {
    await stopDaemon(d);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until check() is true; false when the deadline passes. */
export async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(20);
  }
  return check();
}

export interface ShellChild {
  child: ChildProcess;
  /** stdout so far */
  out(): string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
}

/** A shell command as a child we own, with its exit awaited. */
export function sh(cmd: string, opts: { prefix?: string[] } = {}): ShellChild {
  const argv = [...(opts.prefix ?? []), 'sh', '-c', cmd];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, out, err })),
  );
  return { child, out: () => out, done };
}

/**
 * Handshake: resolves with the first match of re in the child's stdout, or null after ms (or when
 * the child exits without printing it).
 */
export async function printed(c: ShellChild, re: RegExp, ms = 5000): Promise<RegExpExecArray | null> {
  let exited = false;
  void c.done.then(() => (exited = true));
  const deadline = Date.now() + ms;
  for (;;) {
    const m = re.exec(c.out());
    if (m) return m;
    if (exited || Date.now() >= deadline) return null;
    await sleep(5);
  }
}

/** The kernel function a task sleeps in (/proc/PID/wchan), '' when it runs or is gone. */
export function wchan(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/wchan`, 'utf8');
  } catch {
    return '';
  }
}

/** Handshake: true once task pid sleeps in a kernel function matching re (e.g. /poll/ for poll(2)). */
export function sleepsIn(pid: number, re: RegExp, ms = 5000): Promise<boolean> {
  return eventually(() => re.test(wchan(pid)), ms);
}

/**
 * How to run the daemon as nobody: a setpriv prefix and the CLI to run. When the checkout is not
 * readable by nobody (a private clone directory, as CI's), the daemon runs from a readable copy of
 * what it needs. A string: why it cannot (no user nobody).
 */
export function asNobody(t: { log: (...a: unknown[]) => void }): { prefix: string[]; cli: string } | string {
  const id = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
  if (id.status !== 0) return 'no user nobody';
  const uid = Number(id.stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim());
  const prefix = ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'];
  const canRead = spawnSync(prefix[0]!, [...prefix.slice(1), 'test', '-r', CLI]).status === 0;
  if (canRead) return { prefix, cli: CLI };
  // The checkout is not readable by nobody (a private clone directory): run from a readable copy.
  const copy = mkdtempSync(join(tmpdir(), 'ipcfs-nobody-pkg-'));
  spawnSync('chmod', ['755', copy]);
  for (const part of ['package.json', 'dist', 'node_modules', 'fs/fuse/native/build/Release/ipcfs_native.node']) {
    cpSync(join(PACKAGE_ROOT, part), join(copy, part), { recursive: true });
  }
  spawnSync('chmod', ['-R', 'a+rX', copy]);
  t.log(`checkout not readable by nobody; running the daemon from ${copy}`);
  return { prefix, cli: join(copy, 'dist', 'tools', 'ipcfs.js') };
}
