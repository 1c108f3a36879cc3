/**
 * libipcfs figures for npm run bench (same run, ratios):
 *  - sem_post + sem_wait through libipcfs against glibc's own semaphores (futexes in shared
 *    memory) and System V semop, from one C program (bench/c/sem_lib.c) built once with all
 *    three: uncontended in one process (the cost of a call: glibc never leaves user space, SysV
 *    makes one system call, libipcfs one FUSE round trip) and a two-process ping-pong (two
 *    wake-ups of a blocked waiter per round trip: what a semaphore is for). Pinned and not.
 *    No goal: the ratio against glibc says what going through a daemon costs.
 *  - the interposer's cost on a program that makes no IPC call (bench/c/noipc.c), run with and
 *    without LD_PRELOAD in alternating pairs (bench/c/spawn_pairs.c). Goal: not measurable, i.e.
 *    the 95% confidence interval of the median of the pairs' differences includes 0. An empty
 *    library preloaded the same way (bench/c/empty_preload.c) shows what any LD_PRELOAD costs.
 * The System V runs are in a private IPC namespace (unshare --ipc): no object on the host's.
 */
import { join } from 'node:path';
import { DEFAULT_BUSY_POLL_US } from '../fs/fuse/device.js';
import { BenchSetupError, ROOT, median, percentile, runClient, runText, startIpcfs } from './lib.js';

const IMPLS = ['glibc', 'sysv', 'ipcfs'] as const;
const COUNT = { uncontended: 20000, pingpong: 2000 } as const;
const ROUNDS = 5;
const PAIRS = 300;
export const PRELOAD = join(ROOT, 'tools', 'libipcfs', 'build', 'libipcfs-preload.so');

const us = (ns: number): string => (ns < 1000 ? (ns / 1000).toFixed(3) : (ns / 1000).toFixed(1)).padStart(7);

/** The gcc arguments after the source that link bench/c/sem_lib.c with libipcfs. */
export const LIBIPCFS_LINK = ['-I', join(ROOT, 'tools', 'libipcfs'), '-L', join(ROOT, 'tools', 'libipcfs', 'build'), `-Wl,-rpath,${join(ROOT, 'tools', 'libipcfs', 'build')}`, '-lipcfs'];

async function semaphores(semLib: string): Promise<void> {
  console.log(`  sem_post + sem_wait (uncontended: ${ROUNDS} runs of ${COUNT.uncontended} in one process; ping-pong: ${ROUNDS} runs of ${COUNT.pingpong} round trips between two processes; median of each run's p50 and p90)`);
  for (const pin of [true, false]) {
    const ipcfs = await startIpcfs(pin, DEFAULT_BUSY_POLL_US, 'ipcfs (libipcfs)');
    try {
      for (const mode of ['uncontended', 'pingpong'] as const) {
        const got = Object.fromEntries(IMPLS.map((i) => [i, { p50: [] as number[], p90: [] as number[] }]));
        for (let r = 0; r < ROUNDS; r++) {
          // Rounds alternate between the implementations, so drift hits all alike.
          for (const impl of IMPLS) {
            const [a, b] = runClient(['unshare', '--ipc', semLib, impl, mode, String(COUNT[mode]), ipcfs.dir], pin);
            got[impl]!.p50.push(a!);
            got[impl]!.p90.push(b!);
          }
        }
        const p50 = (i: string): number => median(got[i]!.p50);
        const cells = IMPLS.map((i) => `${i} ${us(p50(i))} / ${us(median(got[i]!.p90))} us`).join('   ');
        console.log(`  ${pin ? 'pinned    ' : 'not pinned'} ${mode.padEnd(11)} ${cells}   ipcfs = ${(p50('ipcfs') / p50('glibc')).toFixed(0)}x glibc, ${(p50('ipcfs') / p50('sysv')).toFixed(1)}x SysV`);
      }
    } finally {
      await ipcfs.stop();
    }
  }
}

/** A seeded generator for the bootstrap, so the same samples give the same interval. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** The median of xs and a 95% bootstrap confidence interval of it. */
function medianCi(xs: number[]): [number, number, number] {
  const rand = lcg(12345);
  const meds: number[] = [];
  for (let b = 0; b < 2000; b++) meds.push(median(xs.map(() => xs[Math.floor(rand() * xs.length)]!)));
  return [median(xs), percentile(meds, 0.025), percentile(meds, 0.975)];
}

async function interposer(bin: { pairs: string; noipc: string; emptyPreload: string }): Promise<void> {
  const ipcfs = await startIpcfs(false, DEFAULT_BUSY_POLL_US, 'ipcfs (interposer)');
  try {
    console.log(`  a program making no IPC call (bench/c/noipc.c), ${PAIRS} alternating pairs without / with LD_PRELOAD; goal: not measurable (the 95% interval of the median difference includes 0)`);
    for (const [label, lib] of [['libipcfs-preload.so', PRELOAD], ['an empty library (context)', bin.emptyPreload]] as const) {
      const rows = runText([bin.pairs, lib, ipcfs.dir, String(PAIRS), bin.noipc]).split('\n').map((l) => l.split(' ').map(Number));
      if (rows.length !== PAIRS) throw new BenchSetupError(`spawn_pairs printed ${rows.length} pairs, not ${PAIRS}`);
      console.log(`  LD_PRELOAD=${label}`);
      printPairs(rows, lib === PRELOAD);
    }
  } finally {
    await ipcfs.stop();
  }
}

function printPairs(rows: number[][], judged: boolean): void {
  for (const [what, k] of [['wall', 0], ['CPU', 2]] as const) {
    const plain = rows.map((r) => r[k]!);
    const pre = rows.map((r) => r[k + 1]!);
    const [d, lo, hi] = medianCi(rows.map((r) => r[k + 1]! - r[k]!));
    const ms = (ns: number): string => (ns / 1e6).toFixed(3);
    const verdict = !judged ? '' : lo <= 0 && hi >= 0 ? 'not measurable: goal met' : 'MEASURABLE';
    console.log(`    ${what.padEnd(4)} plain ${ms(median(plain))} ms (p10-p90 ${ms(percentile(plain, 0.1))}-${ms(percentile(plain, 0.9))})   preloaded ${ms(median(pre))} ms   difference median ${(d / 1000).toFixed(1)} us, 95% CI [${(lo / 1000).toFixed(1)}, ${(hi / 1000).toFixed(1)}] us (${((100 * d) / median(plain)).toFixed(1)}%)   ${verdict}`);
  }
}

export async function libipcfsBench(bin: { semLib: string; pairs: string; noipc: string; emptyPreload: string }): Promise<void> {
  await semaphores(bin.semLib);
  await interposer(bin);
}
