/**
 * Running builds under `ipcfs jobserver` for the tests: the C client/recipe built once per test
 * process (test/fs/jobserver/jobserver-client.c), the pool's status parsed, and a process tree
 * walked through /proc (the chaos kills only descendants of the CLI it started).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { childrenOf } from '../../fs/jobserver/procfs.js';
import { CLI } from './mount.js';
import { builtOnce } from './c-helper.js';

/** Builds jobserver-client.c once per test process. */
export const jobserverClientBinary = (): string => builtOnce('test/fs/jobserver/jobserver-client.c');

export interface PoolStatus {
  size: number;
  free: number;
  held: number;
  taken: number;
  returned: number;
  reclaimed: number;
  refused: number;
  holders: Map<number, number>;
  orphans: number[];
  waiting: number[];
  text: string;
}

/** What parseStatus reads when there is no status file (the pool is gone). */
export const NO_STATUS = 'size: -1\nfree: 0\nheld: 0\ntaken: 0\nreturned: 0\nreclaimed: 0\nrefused: 0\n';

export function parseStatus(text: string): PoolStatus {
  const num = (k: string): number => {
    const m = new RegExp(`^${k}: (\\d+)$`, 'm').exec(text);
    if (!m) throw new Error(`no ${k}: in status:\n${text}`);
    return Number(m[1]);
  };
  const holders = new Map<number, number>();
  for (const m of text.matchAll(/^holder: pid=(\d+) tokens=(\d+)/gm)) holders.set(Number(m[1]), Number(m[2]));
  const orphans = [...text.matchAll(/^orphan: pid=(\d+)/gm)].map((m) => Number(m[1]));
  const waiting = (/^waiting:(.*)$/m.exec(text)?.[1] ?? '').split(' ').filter(Boolean).map(Number);
  return {
    size: num('size'),
    free: num('free'),
    held: num('held'),
    taken: num('taken'),
    returned: num('returned'),
    reclaimed: num('reclaimed'),
    refused: num('refused'),
    holders,
    orphans,
    waiting,
    text,
  };
}

/** Every descendant of pid (children of each of its threads, recursively), nearest first. */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of childrenOf(queue.shift()!)) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** `ipcfs jobserver ARGS -- CMD...` as a child we own; its exit awaited. */
export function runJobserver(args: string[], cmd: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; done: Promise<{ code: number | null; out: string; err: string }> } {
  const child = spawn(process.execPath, [CLI, 'jobserver', ...args, '--', ...cmd], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  return { child, done };
}

/** SIGKILLs pid's descendants, then pid (a build that overran its bound): only processes we started. */
export function killTree(pid: number): void {
  for (const p of descendantsOf(pid).reverse()) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function readOr(path: string, fallback = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}
