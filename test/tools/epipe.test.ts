/**
 * A reader that stops early (`ipcs | head -1`) over a mount with more objects than a pipe holds:
 * the tools end as util-linux's do when SIGPIPE kills them, with nothing on stderr (no EPIPE stack
 * trace) and the shell's status for that death, 141.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CLI, mountTest, withDaemon } from '../helpers/mount.js';
import { cloneCreate } from '../../tools/cli-io.js';

const test = mountTest();

test('ipcs, lsipc and ipcs -c piped into head -1: no stack trace, status 141 as a SIGPIPE death', async (t) => {
  await withDaemon(async ({ dir }) => {
    // lsipc -s: ~45 bytes a row, 3000 rows are twice what a 64 KiB pipe holds
    for (let i = 0; i < 3000; i++) cloneCreate(join(dir, 'semaphores/sysv/.new'), 'semget 0 1 creat mode=0600');
    for (const tool of ['ipcs', 'lsipc -s', 'ipcs -s -c']) {
      const r = spawnSync('bash', ['-c', `${process.execPath} ${CLI} ${tool} --mount ${dir} 2>/tmp/ipcfs-epipe-err.$$ | head -1 >/dev/null; s=\${PIPESTATUS[0]}; cat /tmp/ipcfs-epipe-err.$$; rm -f /tmp/ipcfs-epipe-err.$$; exit $s`], { encoding: 'utf8' });
      t.is(r.stdout, '', `${tool}: nothing on stderr`);
      t.is(r.status, 141, tool);
    }
  });
});
