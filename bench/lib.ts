/**
 * Benchmark plumbing: build the C reference and client, start filesystems (ipcfs and the C one),
 * time clients, always unmount. Figures are reported as ratios against the reference measured in
 * the same run; nothing here asserts a time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statfsSync, statSync } from 'node:fs';
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

/** Builds bench/c/NAME.c into bench/.build/NAME; null (and why) if it cannot. */
export function buildC(name: string, withFuse: boolean): { path: string } | { why: string } {
  mkdirSync(BUILD, { recursive: true });
  const out = join(BUILD, name);
  let flags: string[] = [];
  if (withFuse) {
    const pc = spawnSync('pkg-config', ['--cflags', '--libs', 'fuse3'], { encoding: 'utf8' });
    if (pc.status !== 0) return { why: 'libfuse3-dev is not installed (npm run bench installs it as root: Debian package libfuse3-dev)' };
    flags = pc.stdout.trim().split(/\s+/);
  }
  const cc = spawnSync('cc', ['-O2', '-Wall', '-pthread', '-o', out, join(ROOT, 'bench', 'c', `${name}.c`), ...flags], { encoding: 'utf8' });
  if (cc.status !== 0) return { why: `cc failed: ${cc.stderr || cc.error?.message}` };
  return { path: out };
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
    if (child.exitCode !== null) throw new Error(`${what} exited ${child.exitCode}`);
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not come up`);
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

export function startIpcfs(pin: boolean, extra: string[] = []): Promise<Fs> {
  const dir = mkdtempSync(join(tmpdir(), 'ipcfs-bench-'));
  return start('ipcfs', [process.execPath, CLI, '--log-level', 'warn', 'mount', dir, '--test-files', ...extra], dir, '.ipcfs-test/block', pin);
}

export function startReference(binary: string, pin: boolean): Promise<Fs> {
  const dir = mkdtempSync(join(tmpdir(), 'ipcfs-bench-ref-'));
  return start('libfuse3', [binary, dir], dir, 'sink', pin);
}

/** Runs a client program; its stdout's numbers. */
export function runClient(argv: string[], pin: boolean): number[] {
  const cmd = [...pinPrefix(pin), ...argv];
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout.trim().split(/\s+/).map(Number);
}

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0 && existsSync('/dev/fuse');
}
