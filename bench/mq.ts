/**
 * Message-queue figures for npm run bench (same run, ratios against the kernel's own POSIX
 * message queues): one process sends a 1 KiB message and receives it back, by mq_send/mq_receive
 * on a kernel queue and by the file protocol on an ipcfs queue (bench/c/mq_client.c: one write of
 * `send` + bytes, one write of `receive`, one read of the answer). Pinned (daemon and client on
 * CPU 0) and not pinned. Goal (issue 7): at least 20,000 round trips per second pinned.
 */
import { openSync, readSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BUSY_POLL_US } from '../fs/fuse/device.js';
import { BenchSetupError, median, runClient, startIpcfs } from './lib.js';

const COUNT = 20000;
const SIZE = 1024;
const ROUNDS = 5;
const GOAL_PER_SEC = 20000;

function createQueue(mount: string): string {
  const fd = openSync(join(mount, 'mqueue', 'named', '.new'), 'r+');
  try {
    writeSync(fd, `create bench-${process.pid} maxmsg=10 msgsize=${SIZE} mode=0600`);
    const b = Buffer.alloc(256);
    const name = b.toString('utf8', 0, readSync(fd, b, 0, 256, null)).trim();
    if (!name.startsWith('/')) throw new BenchSetupError(`mqueue .new answered "${name}"`);
    return join(mount, 'mqueue', 'named', name.slice(1));
  } finally {
    closeSync(fd);
  }
}

export async function mqBench(bin: { mq: string }): Promise<void> {
  console.log(`  ${SIZE}-byte send + receive round trip, one process (${ROUNDS} runs of ${COUNT}, median p50 and p90); goal >= ${GOAL_PER_SEC}/s pinned`);
  for (const pin of [true, false]) {
    const ipcfs = await startIpcfs(pin, DEFAULT_BUSY_POLL_US, 'ipcfs (message queues)');
    try {
      const q = createQueue(ipcfs.dir);
      const k = { p50: [] as number[], p90: [] as number[] };
      const f = { p50: [] as number[], p90: [] as number[] };
      for (let r = 0; r < ROUNDS; r++) {
        const [a, b] = runClient([bin.mq, 'kernel', String(COUNT), String(SIZE)], pin);
        k.p50.push(a!);
        k.p90.push(b!);
        const [c, d] = runClient([bin.mq, 'file', q, String(COUNT), String(SIZE)], pin);
        f.p50.push(c!);
        f.p90.push(d!);
      }
      const perSec = (ns: number): string => String(Math.round(1e9 / ns)).padStart(8);
      const us = (ns: number): string => (ns / 1000).toFixed(1).padStart(6);
      const kp50 = median(k.p50);
      const fp50 = median(f.p50);
      console.log(`  ${pin ? 'pinned    ' : 'not pinned'}  kernel POSIX mq ${us(kp50)} us p50 (${perSec(kp50)}/s)  p90 ${us(median(k.p90))} us`);
      const verdict = pin ? `  ${1e9 / fp50 >= GOAL_PER_SEC ? 'within' : 'UNDER'} goal ${GOAL_PER_SEC}/s` : '';
      console.log(`  ${pin ? 'pinned    ' : 'not pinned'}  ipcfs mqueue    ${us(fp50)} us p50 (${perSec(fp50)}/s)  p90 ${us(median(f.p90))} us   ${(kp50 / fp50).toFixed(2)}x the kernel's rate${verdict}`);
    } finally {
      await ipcfs.stop();
    }
  }
}
