/**
 * Semaphore figures for npm run bench (same run, ratios):
 *  - uncontended post + trywait round trip, against the C reference answering two writes;
 *  - wake-up latency from a post to a waiter blocked in `wait` (reported, no reference);
 *  - 10,000 semaphores with 1,000 blocked waiters: daemon RSS, and post+trywait latency against
 *    the same daemon empty. Targets: round trip <= 1.5x C; loaded latency <= 1.5x empty; RSS < 200 MB.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BUSY_POLL_US } from '../fs/fuse/device.js';
import { median, runClient, startIpcfs, startReference, type Fs } from './lib.js';

const us = (ns: number): string => (ns / 1000).toFixed(1).padStart(7);
const verdict = (ratio: number, target: number): string => `${ratio.toFixed(2)}x  ${ratio <= target ? 'within' : 'OVER'} target ${target}x`;

export function createUnnamed(mount: string, value: number): string {
  const fd = openSync(join(mount, 'semaphores', 'unnamed', '.new'), 'r+');
  try {
    writeSync(fd, `create value=${value} mode=0666`);
    const b = Buffer.alloc(64);
    return join(mount, 'semaphores', 'unnamed', b.toString('utf8', 0, readSync(fd, b, 0, 64, null)).trim());
  } finally {
    closeSync(fd);
  }
}

function rssMb(pid: number): number {
  const kb = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

const pairs = (client: string, file: string): number => runClient([client, file, '20000', 'post', 'trywait'], false)[0]!;

export async function semaphoreBench(bin: { client: string; waiters: string; ref: string; openFlags: number }): Promise<void> {
  const fss: Fs[] = [];
  try {
    const ipcfs = await startIpcfs(false, DEFAULT_BUSY_POLL_US);
    fss.push(ipcfs);
    const ref = await startReference(bin.ref, false, 'st', bin.openFlags, 'C reference (st)');
    fss.push(ref);
    const sem = createUnnamed(ipcfs.dir, 0);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < 5; i++) {
      ours.push(pairs(bin.client, sem));
      theirs.push(runClient([bin.client, join(ref.dir, 'sink'), '20000', 'post', 'trywait'], false)[0]!);
    }
    const empty = median(ours);
    console.log(`  post+trywait round trip : ipcfs ${us(empty)} us   C libfuse3 st (two writes) ${us(median(theirs))} us   ratio ${verdict(empty / median(theirs), 1.5)}`);

    const rssEmpty = rssMb(ipcfs.child.pid!);
    const files: string[] = [];
    for (let i = 0; i < 10000; i++) files.push(createUnnamed(ipcfs.dir, 0));
    const waiters = spawn(bin.waiters, ['1000', ...files.slice(0, 1000)], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        waiters.stdout.once('data', () => resolve());
        waiters.once('exit', (c) => reject(new Error(`waiters exited ${c}`)));
      });
      // until all 1000 are blocked in the daemon
      const deadline = Date.now() + 30000;
      while (Date.now() < deadline && !files.slice(0, 1000).every((f) => /^ncnt: 1$/m.test(readFileSync(f, 'utf8')))) await new Promise((r) => setTimeout(r, 100));
      const loaded: number[] = [];
      for (let i = 0; i < 5; i++) loaded.push(pairs(bin.client, sem));
      const l = median(loaded);
      const rss = rssMb(ipcfs.child.pid!);
      console.log(`  10k sems + 1k waiters    : post+trywait ${us(l)} us vs ${us(empty)} us empty, ratio ${verdict(l / empty, 1.5)}`);
      console.log(`                            daemon RSS ${rss.toFixed(0)} MB (empty ${rssEmpty.toFixed(0)} MB), ${rss < 200 ? 'within' : 'OVER'} target 200 MB`);
    } finally {
      waiters.kill('SIGKILL');
    }
  } finally {
    for (const fs of fss) await fs.stop();
  }
}
