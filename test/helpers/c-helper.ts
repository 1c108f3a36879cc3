/**
 * The tests' C helpers (kernel oracles, clients, twins): each source built with gcc once per test
 * process into a temporary directory removed at exit. The directory is world-readable: some
 * helpers run as another user (setpriv).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PACKAGE_ROOT } from './mount.js';

const built = new Map<string, string>();

/** The binary of source (a path under the package root, e.g. test/ipc/msg/kernel-msg.c). */
export function builtOnce(source: string, extraArgs: readonly string[] = []): string {
  const key = [source, ...extraArgs].join('\0');
  const known = built.get(key);
  if (known) return known;
  const name = basename(source, '.c');
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  chmodSync(dir, 0o755);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, name);
  const r = spawnSync('gcc', ['-O2', '-Wall', '-Werror', '-o', out, join(PACKAGE_ROOT, source), ...extraArgs], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.error?.message ?? ''}${r.stderr}`);
  built.set(key, out);
  return out;
}

/** tools/libipcfs as `npm install` built it: its header, its shared library and the interposer. */
export const LIBIPCFS_DIR = join(PACKAGE_ROOT, 'tools', 'libipcfs');
export const LIBIPCFS_BUILD = join(LIBIPCFS_DIR, 'build');
export const LIBIPCFS_PRELOAD = join(LIBIPCFS_BUILD, 'libipcfs-preload.so');

/** The binary of source linked against libipcfs.so (found at run time through its rpath). */
export function builtWithLibipcfs(source: string): string {
  return builtOnce(source, ['-I', LIBIPCFS_DIR, '-L', LIBIPCFS_BUILD, '-Wl,-rpath,' + LIBIPCFS_BUILD, '-lipcfs', '-pthread']);
}
