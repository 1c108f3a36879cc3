/**
 * npm run bench: the FUSE round trip of one small write on an open file, through ipcfs and through
 * a minimal C libfuse3 low-level filesystem (multithreaded loop), measured in the same run from a
 * separate client process. Reports medians and the ratio, not pinned and pinned to one CPU (pinned
 * shows the software's own cost; not pinned includes cross-CPU wake-ups, which dominate on VMs).
 * Target: ipcfs <= 1.5x the C figure.
 */
import { buildC, median, runClient, startIpcfs, startReference, type Fs } from './lib.js';
import { semaphoreBench } from './semaphores.js';

const TARGET = 1.5;
const WRITES = 20000;
const ROUNDS = 5;

const us = (ns: number): string => (ns / 1000).toFixed(1).padStart(7);

async function writeRoundTrip(client: string, ref: string | null, pin: boolean): Promise<void> {
  const fss: Fs[] = [];
  try {
    const ipcfs = await startIpcfs(pin);
    fss.push(ipcfs);
    const c = ref ? await startReference(ref, pin) : null;
    if (c) fss.push(c);
    const ours: number[] = [];
    const theirs: number[] = [];
    // Alternate, so drift in the machine's state hits both alike.
    for (let i = 0; i < ROUNDS; i++) {
      ours.push(runClient([client, `${ipcfs.dir}/.ipcfs-test/block`, String(WRITES)], pin)[0]!);
      if (c) theirs.push(runClient([client, `${c.dir}/sink`, String(WRITES)], pin)[0]!);
    }
    const label = pin ? 'pinned to CPU 0' : 'not pinned     ';
    const o = median(ours);
    if (!c) {
      console.log(`write round trip, ${label}: ipcfs ${us(o)} us   (no C reference)`);
      return;
    }
    const t = median(theirs);
    const ratio = o / t;
    console.log(`write round trip, ${label}: ipcfs ${us(o)} us   C libfuse3 (mt) ${us(t)} us   ratio ${ratio.toFixed(2)}x  ${ratio <= TARGET ? 'within' : 'OVER'} target ${TARGET}x`);
  } finally {
    for (const fs of fss) await fs.stop();
  }
}

async function main(): Promise<void> {
  const client = buildC('write_client', false);
  if ('why' in client) throw new Error(`cannot build the benchmark client: ${client.why}`);
  const ref = buildC('ref_fs', true);
  if ('why' in ref) console.log(`C reference not built: ${ref.why}; ipcfs figures only`);
  console.log(`# ${WRITES} writes of 4 bytes per run, median of ${ROUNDS} runs (each run's median)`);
  for (const pin of [false, true]) await writeRoundTrip(client.path, 'path' in ref ? ref.path : null, pin);
  const wake = buildC('wake_client', false);
  const waiters = buildC('waiters', false);
  if ('why' in wake || 'why' in waiters) throw new Error('cannot build the semaphore clients');
  console.log('# semaphores (not pinned)');
  await semaphoreBench({ client: client.path, wake: wake.path, waiters: waiters.path, ref: 'path' in ref ? ref.path : null });
}

await main();
