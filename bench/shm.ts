/**
 * Shared-memory figures for npm run bench (same run, ratios against /dev/shm, the kernel's own
 * shared memory): shared-memory/named objects (served by FUSE passthrough, as a root daemon
 * serves them) and a /.ipcfs-test prototype object forced onto the page cache (the path of an
 * unprivileged mount), measured by bench/c/shm_client.c on every side alike:
 *  - write(2) and read(2) of 1 MiB blocks (goal: at least 50% of /dev/shm's throughput);
 *  - memcpy of 1 MiB into and out of a MAP_SHARED mapping (goal: at least 90%).
 * Two working sets: 16 MiB, and 64 MiB, which exceeds the dirty-page limit the kernel gives a
 * FUSE filesystem (its writeback device has a 1% max_ratio with strictlimit) and so shows the
 * page-cache path's writeback cost. Rounds alternate between the sides; the median of each.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BUSY_POLL_US } from '../fs/fuse/device.js';
import { BenchSetupError, median, runClient, startIpcfs } from './lib.js';

const ROUNDS = 3;
const PASSES = 5;
const SIZES_MIB = [16, 64];
const METRICS = [
  { name: 'write(2) 1 MiB', goal: 0.5 },
  { name: 'read(2) 1 MiB', goal: 0.5 },
  { name: 'memcpy into map', goal: 0.9 },
  { name: 'memcpy out of map', goal: 0.9 },
] as const;

/** GiB/s from nanoseconds per MiB. */
const gibs = (nsPerMib: number): string => (1e9 / nsPerMib / 1024).toFixed(2).padStart(6);

interface Side {
  label: string;
  file: (size: number) => string;
}

/** The path the daemon says it served a prototype object by (shm-stats), after the client has opened it. */
function servedBy(mount: string, dir: string, name: string): string {
  const line = readFileSync(join(mount, '.ipcfs-test', 'shm-stats'), 'utf8').split('\n').find((l) => l.startsWith(`${dir}/${name} `));
  return /path=(\S+)/.exec(line ?? '')?.[1] ?? 'absent';
}

/** The same for a shared-memory/named object: its status file's `served:` line. */
function namedServedBy(mount: string, name: string): string {
  const text = readFileSync(join(mount, 'shared-memory', 'status', 'named', name), 'utf8');
  return /^served: (\S+)$/m.exec(text)?.[1] ?? 'absent';
}

export async function shmBench(bin: { shm: string }): Promise<void> {
  const ipcfs = await startIpcfs(false, DEFAULT_BUSY_POLL_US, 'ipcfs (shared memory)');
  const shmFiles: string[] = [];
  try {
    const sides: Side[] = [
      { label: '/dev/shm (kernel)', file: (s) => { const f = `/dev/shm/ipcfs-bench-${process.pid}-${s}`; shmFiles.push(f); return f; } },
      // shared-memory/named itself: a root daemon serves it by passthrough
      { label: 'ipcfs passthrough', file: (s) => join(ipcfs.dir, 'shared-memory', 'named', `b${s}`) },
      // the page-cache path, forced: only the /.ipcfs-test prototype can ask for it from a root daemon
      { label: 'ipcfs page cache', file: (s) => join(ipcfs.dir, '.ipcfs-test', 'shm-cached', `b${s}`) },
    ];
    console.log(`  throughput in GiB/s (median of ${ROUNDS} rounds, each the median 1 MiB block of ${PASSES} passes over the working set); ratio to /dev/shm`);
    for (const size of SIZES_MIB) {
      const got = sides.map(() => METRICS.map(() => [] as number[]));
      for (let r = 0; r < ROUNDS; r++) {
        sides.forEach((side, k) => {
          const xs = runClient([bin.shm, side.file(size), String(size), String(PASSES)], false);
          if (xs.length !== METRICS.length || xs.some((x) => !(x > 0))) throw new BenchSetupError(`shm_client on ${side.label}: ${xs.join(' ')}`);
          xs.forEach((x, m) => got[k]![m]!.push(x));
        });
      }
      const named = namedServedBy(ipcfs.dir, `b${size}`);
      if (named !== 'passthrough') throw new BenchSetupError(`shared-memory/named/b${size} was served by ${named}, not passthrough (passthrough needs root and a kernel with FUSE passthrough)`);
      const cached = servedBy(ipcfs.dir, 'shm-cached', `b${size}`);
      if (cached !== 'cached') throw new BenchSetupError(`shm-cached/b${size} was served by ${cached}, not cached`);
      console.log(`  working set ${size} MiB`);
      console.log(`    ${''.padEnd(20)}${METRICS.map((m) => m.name.padStart(30)).join('')}`);
      const base = METRICS.map((_, m) => median(got[0]![m]!));
      sides.forEach((side, k) => {
        const cells = METRICS.map((metric, m) => {
          const ns = median(got[k]![m]!);
          const ratio = base[m]! / ns;
          const verdict = k === 0 ? '' : ratio >= metric.goal ? ' ok' : ' LOW';
          return `${gibs(ns)} ${(ratio * 100).toFixed(0).padStart(4)}%${verdict.padEnd(4)}`.padStart(30);
        });
        console.log(`    ${side.label.padEnd(20)}${cells.join('')}`);
      });
    }
    console.log(`  goals: write(2)/read(2) >= ${METRICS[0].goal * 100}%, memcpy >= ${METRICS[2].goal * 100}% of /dev/shm (ok / LOW)`);
  } finally {
    for (const f of shmFiles) rmSync(f, { force: true });
    await ipcfs.stop();
  }
}
