/**
 * A table read a line at a time (a shell's `while read` loop, `dd bs=89`) over thousands of objects
 * costs the daemon each read's rows, not a pass over every object (a bound on the daemon's CPU time): each read used to list and
 * copy the whole kind to find its place, so a line-by-line read of 16000 sets took the daemon
 * 16000 passes (quadratic: ~10 s here, and every other client of the mount slowed with it).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { cloneCreate } from '../../../tools/cli-io.js';

const test = mountTest();

/** A process's CPU time so far (user + system), in milliseconds: a bound that load does not skew. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  // after the command: state is field 3, utime 14 and stime 15 (proc(5)), in clock ticks (100 Hz)
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

test('sysvipc/sem read one line per read over 16000 sets: the whole table, in a bounded time', async (t) => {
  await withDaemon(async ({ dir, child }) => {
    const n = 16000;
    for (let i = 0; i < n; i++) cloneCreate(join(dir, 'semaphores/sysv/.new'), 'semget private 1 mode=600');
    const file = join(dir, 'sysvipc', 'sem');
    const whole = readFileSync(file, 'utf8');
    t.is(whole.split('\n').length, n + 2, 'header, a row per set, the final newline');

    const cpuBefore = cpuMs(child.pid!);
    const fd = openSync(file, 'r');
    const parts: Buffer[] = [];
    try {
      const buf = Buffer.alloc(89); // one row of a set with small numbers
      for (let got; (got = readSync(fd, buf, 0, buf.length, null)) > 0; ) parts.push(Buffer.from(buf.subarray(0, got)));
    } finally {
      closeSync(fd);
    }
    const took = cpuMs(child.pid!) - cpuBefore;
    t.is(Buffer.concat(parts).toString('utf8'), whole, 'the same text as one big read');
    t.log(`${parts.length} reads: ${took} ms of the daemon's CPU`);
    // fixed: ~0.3 s here; quadratic: ~3.5 s (measured on the old code)
    t.true(took < 2000, `the daemon spent ${took} ms of CPU on a line-by-line read`);
  });
});
