/**
 * The pool's reaper and its own command (fs/jobserver/pool-processes.ts): when a holder gives a
 * token back, the daemon looks among the reaper's children for jobs a killed make left running
 * (started after the holder, same session). The command `ipcfs jobserver` runs is a child of the
 * reaper too, started before every holder, but start times are clock ticks (10 ms): a holder it
 * forks at once starts in the same tick. It must never be taken for an orphan (it would keep a
 * token until the whole build ends, and show in the status as one).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NO_STATUS, descendantsOf, jobserverClientBinary, killTree, parseStatus, readOr, runJobserver } from '../../helpers/jobserver-run.js';
import { eventually, freshDir, mountTest, withDaemon } from '../../helpers/mount.js';

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

/**
 * An orphan that is itself a make: a sub-make R whose parent Q was killed runs on as an orphan
 * (with Q's token). When R is killed in turn, its own running job is orphaned as well and must
 * keep (or wait for) a token like any other, and whatever R held comes back.
 */
test('the jobs of a killed orphan make become orphans in their turn', async (t) => {
  await withDaemon(async (d) => {
    const root = freshDir('ipcfs-orphan-make-');
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(join(root, 'q', 'r'), { recursive: true });
    // top make -> Q (runs R and a job: takes a token) -> R (runs one job in its implicit slot)
    // (w keeps the top make, hence the pool, alive)
    writeFileSync(join(root, 'Makefile'), 'all: q w\nq:\n\t+@$(MAKE) --no-print-directory -C q\nw:\n\tsleep 32\n.PHONY: all q w\n');
    writeFileSync(join(root, 'q', 'Makefile'), 'all: r x\nr:\n\t+@$(MAKE) --no-print-directory -C r\nx:\n\tsleep 30\n.PHONY: all r x\n');
    writeFileSync(join(root, 'q', 'r', 'Makefile'), 'all: j\nj:\n\tsleep 31\n.PHONY: all j\n');
    const status = join(d.dir, 'jobserver', 'status', 'om');
    const run = runJobserver(['-j', '4', '--name', 'om', '--mount', d.dir], ['make', '--no-print-directory', '-C', root]);
    const cli = run.child.pid!;
    t.teardown(() => killTree(cli));
    const find = (re: RegExp): number | undefined => descendantsOf(cli).find((p) => re.test(readOr(`/proc/${p}/cmdline`).replace(/\0/g, ' ')));
    const st = (): ReturnType<typeof parseStatus> => parseStatus(readOr(status, NO_STATUS));
    let q: number | undefined;
    let r: number | undefined;
    let j: number | undefined;
    t.true(
      await eventually(() => {
        [q, r, j] = [find(/-C q $/), find(/-C r $/), find(/^sleep 31/)];
        return q !== undefined && r !== undefined && j !== undefined && st().holders.get(q) === 1;
      }, 10_000),
      'the tree runs and Q holds a token',
    );
    process.kill(q!, 'SIGKILL');
    t.true(await eventually(() => st().orphans.includes(r!), 5000), `R is an orphan:\n${st().text}`);
    process.kill(r!, 'SIGKILL');
    t.true(await eventually(() => st().orphans.includes(j!), 3000), `R's job is an orphan in its turn:\n${st().text}`);
    t.false(st().holders.has(r!), 'nothing is left held by the dead R');
    killTree(cli);
    await run.done;
  });
});

/**
 * A process that closes a pool descriptor, execs with it close-on-exec or exits never waits for
 * the daemon (no FLUSH: FOPEN_NOFLUSH). A FLUSH sent from inside exec is answered only when the
 * daemon's loop runs, while the exec holds the task's exec locks, under which /proc/PID/stat of
 * that task waits: the daemon reading it then (a make's forked job orphaned by a kill, seen among
 * the reaper's children) stalled the whole mount in the chaos test.
 */
test('closing a pool descriptor does not wait for the daemon (no FLUSH)', async (t) => {
  await withDaemon(async (d) => {
    const pool = join(d.dir, 'jobserver', 'named', 'nf');
    writeFileSync(join(d.dir, 'jobserver', 'named', '.new'), 'create nf size=1');
    // the child opens the pool, says so, waits for a line, closes it, says so
    const child = spawn('python3', ['-u', '-c', `import os,sys\nfd=os.open(${JSON.stringify(pool)}, os.O_RDONLY)\nprint('open', flush=True)\nsys.stdin.readline()\nos.close(fd)\nprint('closed', flush=True)\n`], { stdio: ['pipe', 'pipe', 'inherit'] });
    const closed = new Promise((r) => child.on('close', r));
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    t.true(await eventually(() => out.includes('open'), 5000));
    const daemon = d.child.pid!;
    process.kill(daemon, 'SIGSTOP');
    try {
      child.stdin.write('go\n');
      t.true(await eventually(() => out.includes('closed'), 2000), 'close returned while the daemon was stopped');
    } finally {
      process.kill(daemon, 'SIGCONT');
    }
    await closed;
  });
});
