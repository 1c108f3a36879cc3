/**
 * Benchmark plumbing: build the C reference and client, start filesystems (ipcfs and the C one),
 * time clients, always unmount. Figures are reported as ratios against the reference measured in
 * the same run; nothing here asserts a time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILD = join(ROOT, 'bench', '.build');
const CLI = join(ROOT, 'dist', 'tools', 'ipcfs.js');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
}

/** A setup failure: the bench stops with this message and a non-zero exit, never a silent skip. */
export class BenchSetupError extends Error {
  override name = 'BenchSetupError';
}

/** Builds bench/c/NAME.c into bench/.build/NAME, or throws why it cannot. */
export function buildC(name: string, withFuse: boolean, libs: string[] = []): string {
  mkdirSync(BUILD, { recursive: true });
  const out = join(BUILD, name);
  let flags: string[] = [];
  if (withFuse) {
    const pc = spawnSync('pkg-config', ['--cflags', '--libs', 'fuse3'], { encoding: 'utf8' });
    if (pc.status !== 0) throw new BenchSetupError('libfuse3-dev is not installed (npm run bench installs it as root: Debian package libfuse3-dev)');
    flags = pc.stdout.trim().split(/\s+/);
  }
  const cc = spawnSync('cc', ['-O2', '-Wall', '-pthread', '-o', out, join(ROOT, 'bench', 'c', `${name}.c`), ...flags, ...libs], { encoding: 'utf8' });
  if (cc.status !== 0) throw new BenchSetupError(`cannot build bench/c/${name}.c: ${cc.stderr || cc.error?.message}`);
  return out;
}

export interface Fs {
  name: string;
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const pinPrefix = (pin: boolean): string[] => (pin ? ['taskset', '-c', '0'] : []);

async function waitFor(check: () => boolean, what: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new BenchSetupError(`${what} exited ${child.exitCode} before its mount came up`);
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new BenchSetupError(`${what} did not come up within 15 s`);
}

function live(path: string): boolean {
  try {
    statfsSync(dirname(path));
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function start(name: string, argv: string[], dir: string, probe: string, pin: boolean): Promise<Fs> {
  const cmd = [...pinPrefix(pin), ...argv];
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
  };
  try {
    await waitFor(() => live(join(dir, probe)), name, child);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name, dir, child, stop };
}

/** ipcfs with its test files (the sink), busy-polling /dev/fuse busyPollUs after activity. */
export function startIpcfs(pin: boolean, busyPollUs: number, name = 'ipcfs'): Promise<Fs> {
  const dir = mkdtempSync(join(tmpdir(), 'ipcfs-bench-'));
  return start(name, [process.execPath, CLI, '--log-level', 'warn', 'mount', dir, '--test-files', '--busy-poll-us', String(busyPollUs)], dir, '.ipcfs-test/block', pin);
}

/**
 * The C reference (bench/c/ref_fs.c), single-threaded or multithreaded loop, answering OPEN with
 * openFlags. Mount options as ipcfs's (default_permissions; dev and suid, which libfuse would
 * otherwise turn off and mount(8) leaves on): sameMountOptions checks them.
 */
export function startReference(binary: string, pin: boolean, loop: 'st' | 'mt', openFlags: number, name: string): Promise<Fs> {
  const dir = mkdtempSync(join(tmpdir(), 'ipcfs-bench-ref-'));
  const argv = [binary, dir, '--open-flags', String(openFlags), '-o', 'default_permissions,dev,suid,fsname=ipcfs-ref,subtype=ipcfs-ref'];
  if (loop === 'st') argv.push('-s');
  return start(name, argv, dir, 'sink', pin);
}

/** The mount's per-mount and superblock options from /proc/self/mountinfo. */
export function mountOptions(dir: string): string {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep > 0 && f[4] === dir) return `${f[5]} ${f[sep + 3]}`;
  }
  throw new BenchSetupError(`${dir} is not in /proc/self/mountinfo`);
}

/** Runs a client program; its stdout's numbers. */
export function runClient(argv: string[], pin: boolean): number[] {
  const cmd = [...pinPrefix(pin), ...argv];
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new BenchSetupError(`${argv.join(' ')} failed (exit ${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout.trim().split(/\s+/).map(Number);
}

/** Runs a client program; its stdout as text. */
export function runText(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new BenchSetupError(`${argv.join(' ')} failed (exit ${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout.trim();
}

export function requireTools(): void {
  if (!existsSync('/dev/fuse')) throw new BenchSetupError('/dev/fuse does not exist');
  if (process.getuid?.() !== 0) throw new BenchSetupError('the bench mounts as root (run it as root)');
  for (const cmd of ['cc', 'taskset', 'pkg-config']) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) throw new BenchSetupError(`${cmd} is not installed`);
  }
}
