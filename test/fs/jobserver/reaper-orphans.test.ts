/**
 * The pool's reaper and its own command (fs/jobserver/pool-processes.ts): when a holder gives a
 * token back, the daemon looks among the reaper's children for jobs a killed make left running
 * (started after the holder, same session). The command `ipcfs jobserver` runs is a child of the
 * reaper too, started before every holder, but start times are clock ticks (10 ms): a holder it
 * forks at once starts in the same tick. It must never be taken for an orphan (it would keep a
 * token until the whole build ends, and show in the status as one).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { jobserverClientBinary, parseStatus, readOr, runJobserver } from '../../helpers/jobserver-run.js';
import { freshDir, mountTest, withDaemon } from '../../helpers/mount.js';

const test = mountTest();

test('the command ipcfs jobserver runs is never an orphan of a holder it forked in the same clock tick', async (t) => {
  const client = jobserverClientBinary();
  await withDaemon(async (d) => {
    let sameTick = 0;
    for (let i = 0; i < 12 && sameTick < 2; i++) {
      const dir = freshDir('ipcfs-reaper-orphans-');
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      mkdirSync(join(dir, 'state', 'run'), { recursive: true });
      mkdirSync(join(dir, 'out'));
      const name = `cmd-${i}`;
      // the command (sh) forks a client at once; the client takes the pool's one token and gives
      // it back while sh still runs; sh reads the status before ipcfs removes the pool
      const script = [
        `${client} run --jobs 4 --out ${dir}/out --state ${dir}/state --sleep 40 --name a & c=$!`,
        `cut -d' ' -f22 /proc/$$/stat /proc/$c/stat > ${dir}/starts`,
        'wait $c',
        `cat ${d.dir}/jobserver/status/${name} > ${dir}/final`,
      ].join('\n');
      const r = await runJobserver(['-j', '2', '--name', name, '--mount', d.dir], ['sh', '-c', script]).done;
      t.is(r.code, 0, r.err);
      const [shStart, clientStart] = readOr(join(dir, 'starts')).trim().split('\n');
      if (shStart === clientStart) sameTick++;
      const f = parseStatus(readOr(join(dir, 'final'), 'size: -1'));
      t.true(f.taken > 0, 'the client took a token');
      t.deepEqual(f.orphans, [], `no orphan (sh and the client started at ticks ${shStart} and ${clientStart}):\n${f.text}`);
      t.is(f.free, f.size, f.text);
    }
    t.log(`${sameTick} run(s) where the client started in its command's clock tick`);
    t.true(sameTick >= 1, 'the case was met');
  });
});
