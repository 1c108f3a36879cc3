/**
 * A pool's descriptors close without a FLUSH round trip through the daemon (FOPEN_NOFLUSH,
 * fs/tree/command-file.ts COMMAND_FILE_MODE): make marks the inherited pool close-on-exec for every
 * recipe, so without it each job's exec cost two FLUSH requests (428 of the ~950 requests of the
 * benchmark's 200-job build). Seen from the daemon's own request log (debug): children that
 * inherit the pool and end send no FLUSH; the same children inheriting a status file do (the log
 * would show the pool's).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, mountTest, withDaemon, type Daemon } from '../../helpers/mount.js';

const test = mountTest();

function createPool(dir: string, name: string): string {
  const fd = openSync(join(dir, 'jobserver', 'named', '.new'), 'r+');
  try {
    writeSync(fd, `create ${name} size=2`);
    const b = Buffer.alloc(64);
    const answer = b.toString('utf8', 0, readSync(fd, b, 0, 64, null)).trim();
    if (answer !== `/${name}`) throw new Error(`.new answered ${answer}`);
  } finally {
    closeSync(fd);
  }
  return join(dir, 'jobserver', 'named', name);
}

/** A LOOKUP of a name that does not exist: a line in the daemon's log, after every request before it. */
async function mark(d: Daemon, name: string): Promise<void> {
  try {
    statSync(join(d.dir, 'jobserver', 'named', name));
  } catch {
    // ENOENT: the lookup is what counts
  }
  const seen = await eventually(() => d.stderr().includes(`"name":"${name}"`));
  if (!seen) throw new Error(`the daemon's log never showed the lookup of ${name}`);
}

/** FLUSH requests logged between the lookups of two marks. */
function flushesBetween(log: string, from: string, to: string): number {
  const lines = log.split('\n');
  const a = lines.findIndex((l) => l.includes(`"name":"${from}"`));
  const b = lines.findIndex((l) => l.includes(`"name":"${to}"`));
  return lines.slice(a, b).filter((l) => l.includes('"op":"flush"') && l.includes('"msg":"request"')).length;
}

/** Three children that inherit fd as their fd 3 and exit (the kernel closes it: as a recipe's exec). */
function childrenInherit(fd: number): void {
  for (let i = 0; i < 3; i++) {
    const r = spawnSync('true', { stdio: ['ignore', 'ignore', 'ignore', fd] });
    if (r.status !== 0) throw new Error(`true exited ${r.status}`);
  }
}

test('closing an inherited pool descriptor sends the daemon no FLUSH; a status file\'s still does', async (t) => {
  await withDaemon(async (d) => {
    const pool = createPool(d.dir, 'noflush');
    // kept open: the children's closes are never the last (no RELEASE in between). Every child
    // also closes the parent's other descriptors on exec (Node opens with O_CLOEXEC): the status
    // file is opened only after the pool's part.
    const fd = openSync(pool, 'r');
    let status = -1;
    try {
      await mark(d, 'mark-a');
      childrenInherit(fd);
      await mark(d, 'mark-b');
      status = openSync(join(d.dir, 'jobserver', 'status', 'noflush'), 'r');
      childrenInherit(status);
      await mark(d, 'mark-c');
      const log = d.stderr();
      t.is(flushesBetween(log, 'mark-a', 'mark-b'), 0, 'pool descriptors closed by three children');
      t.true(flushesBetween(log, 'mark-b', 'mark-c') >= 3, 'status descriptors closed by three children (the log shows FLUSH)');
    } finally {
      closeSync(fd);
      if (status >= 0) closeSync(status);
    }
  }, { logLevel: 'debug' });
});
