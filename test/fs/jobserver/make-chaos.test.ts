/**
 * The proof with the machine's GNU make (4.3) and with a C client that behaves as make >= 4.4 and
 * the Rust jobserver crate do (jobserver-client.c): a generated project of more than 200 jobs with
 * recursive sub-makes, built by `ipcfs jobserver -j4`.
 *
 *  - Plain: `make` builds it, exits 0, never more than 4 jobs run at once (the recipes count
 *    themselves), the pool ends with every token (free == size, taken == returned, refused == 0),
 *    and an `ipcfs jobserver` run inside a recipe joins the pool instead of making one.
 *  - Chaos: while `make -k` runs (retried, bounded, until the build succeeds), a chaos loop in this
 *    test SIGKILLs random sub-makes, clients and recipes of this build (descendants of the CLI it
 *    started, found through /proc, killed by pid). The build completes within its bound (no
 *    deadlock), never more than 4 jobs run at once, the pool ends with every token, and `reclaimed`
 *    is exactly the sum of the tokens the killed processes held.
 *
 * Why the sum is exact: before each kill the target is SIGSTOPped, and the chaos waits until
 * /proc says it is stopped ('T'). A task waiting for a FUSE answer is not 'T' (it is in the
 * request), so once it is, every request it made has been answered, and a stopped task makes no
 * new one: its tokens in the status read now are the tokens it holds when SIGKILL ends it, and the
 * daemon reclaims exactly those (its waits, if it had one, ended with the stop: it is never in
 * `waiting:` then, which the test checks). Nothing else reclaims in these builds: every process
 * that ends by itself has given back what it took, and the status is read before any open file of
 * the pool is released (the wrapper script reads it while it still has the pool open).
 *
 * The status is read by a wrapper script given to the CLI, after make ends and before the CLI
 * removes the pool (no option added to the CLI for the tests).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childrenOf, procStat } from '../../../fs/jobserver/procfs.js';
import { descendantsOf, jobserverClientBinary, killTree, parseStatus, readOr, runJobserver } from '../../helpers/jobserver-run.js';
import { makeProject, type Project, type ProjectOptions } from '../../helpers/make-project.js';
import type { ExecutionContext } from 'ava';
import { CLI, eventually, freshDir, mountTest, sleep, startDaemon, stopDaemon, type Daemon } from '../../helpers/mount.js';

const test = mountTest();

const JOBS = 4;
/** one build's bound, retries included: far above its normal time, so only a deadlock reaches it */
const BUILD_BOUND_MS = 30_000;
const ATTEMPTS = 8;

let daemon: Daemon | null = null;
test.before(async () => {
  jobserverClientBinary();
  daemon = await startDaemon();
});
test.after.always(async () => {
  if (daemon) await stopDaemon(daemon);
});

const makeVersion = (): string => spawnSync('make', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '';

interface Kill {
  pid: number;
  comm: string;
  tokens: number;
  waiting: boolean;
}

interface Built {
  code: number | null;
  err: string;
  /** the wrapper's record: "ok N" (N attempts) or '' */
  result: string;
  final: ReturnType<typeof parseStatus>;
  max: number;
  outputs: number;
  kills: Kill[];
  /** kills left out: a make or client that was its parent's only child (killOne) */
  skipped: number;
  elapsedMs: number;
}

/**
 * Builds project under `ipcfs jobserver -j4` through a wrapper script that retries `make -k` until
 * it succeeds (at most ATTEMPTS), waits for the orphans of killed makes to end, and copies the
 * pool's status; with chaos, kills processes of the build meanwhile.
 */
async function build(d: Daemon, p: Project, name: string, chaos: { kills: number } | null): Promise<Built> {
  const status = join(d.dir, 'jobserver', 'status', name);
  const result = join(p.root, '.result');
  const final = join(p.root, '.final-status');
  const script = join(p.root, '.run.sh');
  writeFileSync(
    script,
    [
      'n=0',
      `while [ $n -lt ${ATTEMPTS} ]; do`,
      '  n=$((n+1))',
      `  if make -k -C ${p.root} >> ${p.root}/.log 2>&1; then echo "ok $n" > ${result}; break; fi`,
      'done',
      // jobs of a killed make run on as orphans (and hold a token each) until they end
      'i=0',
      `while grep -q '^orphan:' ${status} && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done`,
      `cat ${status} > ${final}`,
      '',
    ].join('\n'),
  );
  const t0 = Date.now();
  const run = runJobserver(['-j', String(JOBS), '--name', name, '--mount', d.dir], ['sh', script]);
  const cli = run.child.pid!;
  const kills: Kill[] = [];
  let skipped = 0;
  let ended = false;
  const done = run.done.then((r) => {
    ended = true;
    return r;
  });
  // past the bound: a deadlock. Processes blocked in a request of a stalled daemon cannot even
  // die, so the daemon (ours) goes first: its requests fail, then the build's processes end
  let deadlocked = false;
  const bound = setTimeout(() => {
    deadlocked = true;
    d.child.kill('SIGKILL');
    killTree(cli);
  }, BUILD_BOUND_MS);
  if (chaos) {
    while (!ended && kills.length < chaos.kills) {
      await sleep(20 + Math.random() * 100);
      const k = await killOne(cli, status);
      if (k === 'skipped') skipped++;
      else if (k) kills.push(k);
    }
  }
  const r = await done;
  clearTimeout(bound);
  const outputs = readdirSync(p.root, { recursive: true, encoding: 'utf8' }).filter((f) => /(leaf\d+\.out|client\d+-\d+)$/.test(f)).length;
  if (deadlocked) throw new Error(`the build did not end within ${BUILD_BOUND_MS} ms (deadlock); killed ${JSON.stringify(kills)}\n${readOr(join(p.root, '.log')).slice(-3000)}`);
  return {
    code: r.code,
    err: r.err + readOr(join(p.root, '.log')).slice(-3000),
    result: readOr(result).trim(),
    final: parseStatus(readOr(final, 'size: -1')),
    max: Number(readOr(join(p.state, 'max'), '0')),
    outputs,
    kills,
    skipped,
    elapsedMs: Date.now() - t0,
  };
}

/**
 * One kill: a random process of the build (half the time one that holds tokens), not the wrapper
 * nor what it runs itself (the top make, the status reads). It is stopped first, with its parent
 * when that is a make or a client; its tokens are read from the status once it is stopped, then
 * SIGKILL ends it, and its parent continues once it is a zombie (its jobs are the reaper's then).
 *
 * A make or client is killed only while its parent has another child: then the parent gives a
 * token back when it reaps it (make keeps its implicit slot only for its last child), and the
 * killed process's last orphaned job gets that token before anyone. Killed while it is its
 * parent's only child, it ran in the parent's implicit slot: nothing comes back, the parent runs
 * its next job in that slot while the orphan still runs, and the build runs one job over its
 * bound until a token is given back (docs/jobserver-clients.md, "What the pool cannot see").
 * The chaos avoids that case, so that the bound it checks is exact.
 */
async function killOne(cli: number, statusPath: string): Promise<Kill | 'skipped' | null> {
  const all = descendantsOf(cli);
  const wrapper = all.find((p) => procStat(p)?.ppid === cli && comm(p) === 'sh');
  if (wrapper === undefined) return null;
  const candidates = all.filter((p) => p !== wrapper && procStat(p)?.ppid !== wrapper && /^(make|jobserver-clien)$/.test(comm(p)));
  if (!candidates.length) return null;
  let pick = candidates;
  if (Math.random() < 0.5) {
    const holders = parseStatus(readOr(statusPath, 'size: -1')).holders;
    const holding = candidates.filter((p) => (holders.get(p) ?? 0) > 0);
    if (holding.length) pick = holding;
  }
  const pid = pick[Math.floor(Math.random() * pick.length)]!;
  const name = comm(pid);
  const ppid = procStat(pid)?.ppid ?? 0;
  // a recipe (`job`, or a job a client forked) starts no process; makes and clients run jobs
  const isJob = name === 'jobserver-clien' && (readOr(`/proc/${pid}/cmdline`).split('\0')[1] === 'job' || comm(ppid) === 'jobserver-clien');
  // the parent is stopped too (its children stay its own, dead or alive, until it runs again)
  const parent = ppid !== cli && ppid > 0 && !isJob ? ppid : null;
  const stopped = [parent, pid].filter((p): p is number => p !== null);
  const cont = (): void => {
    for (const p of stopped) signal(p, 'SIGCONT');
  };
  for (const p of stopped) signal(p, 'SIGSTOP');
  const allStopped = await eventually(() => stopped.every((p) => procStat(p)?.state !== 'R' && procStat(p)?.state !== 'S' && procStat(p)?.state !== 'D'), 3000);
  if (!allStopped || stopped.some((p) => procStat(p)?.state !== 'T')) {
    cont(); // one ended by itself (a zombie) or never stopped: leave them
    return null;
  }
  if (parent !== null && !childrenOf(parent).some((c) => c !== pid)) {
    cont(); // its parent's only child: see above
    return 'skipped';
  }
  const st = parseStatus(readOr(statusPath, 'size: -1'));
  const k: Kill = { pid, comm: name, tokens: st.holders.get(pid) ?? 0, waiting: st.waiting.includes(pid) };
  signal(pid, 'SIGKILL');
  // a zombie has given its children to the reaper (exit_notify) before its parent can reap it
  await eventually(() => procStat(pid)?.state !== 'T', 3000);
  cont();
  return k;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

function comm(pid: number): string {
  return readOr(`/proc/${pid}/comm`).trim();
}

/** jobs of the chaos runs sleep longer: the build must last long enough to be hit (on a loaded machine too) */
const CHAOS_SLEEP_MS = 40;
const MAKE_ONLY = { depth: 3, fanout: 2, leaves: 14, sleepMs: 20 }; // 15 directories, 14 sub-makes, 210 jobs

test.serial('ipcfs jobserver -j4 -- make: a recursive 200-job build exits 0, never runs more than 4 jobs, the pool ends with every token; a nested ipcfs jobserver joins the pool', async (t) => {
  const d = daemon!;
  t.log(makeVersion());
  // a recipe of the root runs `ipcfs jobserver -j8 -- make -C nested`, whose make records what it
  // was given; its jobs share the state of the others, so the count covers them too
  const root = freshDir('ipcfs-make-chaos-');
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const nestedRoot = join(root, 'nested');
  const p = makeProject({
    ...MAKE_ONLY,
    root,
    client: jobserverClientBinary(),
    extraRootRecipe: `${process.execPath} ${CLI} jobserver -j8 --mount ${d.dir} -- $(MAKE) --no-print-directory -C ${nestedRoot}`,
  });
  const nested = makeProject({
    root: nestedRoot,
    client: jobserverClientBinary(),
    state: p.state,
    depth: 0,
    fanout: 0,
    leaves: 8,
    sleepMs: 20,
    extraRootRecipe: `echo "$$IPCFS_JOBSERVER|$$MAKEFLAGS" > $(CURDIR)/env.txt; ls ${d.dir}/jobserver/named > $(CURDIR)/pools.txt`,
  });
  t.true(p.jobs + nested.jobs >= 200, `${p.jobs + nested.jobs} jobs`);
  t.true(p.subMakes >= 10);

  const b = await build(d, p, 'plain', null);
  t.log(`${p.jobs + nested.jobs} jobs, ${p.subMakes} sub-makes: ${b.elapsedMs} ms; most jobs at once: ${b.max}`);
  t.is(b.code, 0, b.err);
  t.is(b.result, 'ok 1', 'built by the first make');
  t.is(b.outputs, p.jobs + nested.jobs);
  t.true(b.max <= JOBS, `at most ${JOBS} jobs at once, saw ${b.max}`);
  t.true(b.max >= 2, `the build ran jobs in parallel (saw ${b.max})`);
  const f = b.final;
  t.is(f.size, JOBS - 1, f.text);
  t.is(f.free, f.size, f.text);
  t.is(f.held, 0, f.text);
  t.true(f.taken > 0, 'make took tokens from the pool');
  t.is(f.taken, f.returned, f.text);
  t.is(f.reclaimed, 0, f.text);
  t.is(f.refused, 0, f.text);
  t.deepEqual([f.holders.size, f.orphans.length, f.waiting.length], [0, 0, 0], f.text);

  const [pool, makeflags] = readOr(join(nested.root, 'env.txt')).trim().split('|');
  t.is(pool, join(d.dir, 'jobserver', 'named', 'plain'), 'the nested run names the outer pool');
  t.regex(makeflags ?? '', new RegExp(`(^| )-j${JOBS} --jobserver-auth=3,4( |$)`), 'the nested make runs the outer pool\'s jobs, not -j8');
  t.is(readOr(join(nested.root, 'pools.txt')).trim(), 'plain', 'no second pool');
  t.deepEqual(readdirSync(join(d.dir, 'jobserver', 'named')), [], 'the CLI removed its pool');
});

async function chaosRun(t: ExecutionContext, name: string, o: Omit<ProjectOptions, 'root' | 'client'>, kills: number): Promise<void> {
  const p = makeProject({ ...o, root: freshDir('ipcfs-make-chaos-'), client: jobserverClientBinary() });
  t.teardown(() => rmSync(p.root, { recursive: true, force: true }));
  t.true(p.jobs >= 200, `${p.jobs} jobs`);
  const b = await build(daemon!, p, name, { kills });
  const sum = b.kills.reduce((n, k) => n + k.tokens, 0);
  const byComm = (c: string): number => b.kills.filter((k) => k.comm === c).length;
  t.log(`${p.jobs} jobs, ${p.subMakes} sub-makes: ${b.result || 'not built'} in ${b.elapsedMs} ms; most jobs at once: ${b.max}`);
  t.log(`killed ${b.kills.length} (${byComm('make')} makes, ${byComm('jobserver-clien')} clients or recipes), holding ${sum} token(s); reclaimed ${b.final.reclaimed}; ${b.skipped} left out (their parent's only child)`);
  t.is(b.code, 0, b.err);
  t.regex(b.result, /^ok \d+$/, `the build completed within ${ATTEMPTS} attempts`);
  t.is(b.outputs, p.jobs, 'every target built');
  t.true(b.max <= JOBS, `at most ${JOBS} jobs at once, saw ${b.max}`);
  t.true(b.kills.length >= 3, `the chaos killed ${b.kills.length} processes`);
  t.true(b.kills.some((k) => k.tokens > 0), 'some killed process held tokens');
  t.deepEqual(b.kills.filter((k) => k.waiting), [], 'a stopped process is never waiting in the pool');
  const f = b.final;
  t.is(f.free, f.size, f.text);
  t.is(f.held, 0, f.text);
  t.deepEqual([f.holders.size, f.orphans.length, f.waiting.length], [0, 0, 0], f.text);
  t.is(f.reclaimed, sum, `reclaimed: the tokens the killed processes held (${JSON.stringify(b.kills)})`);
  t.is(f.taken, f.returned + f.reclaimed, f.text);
  t.is(f.refused, 0, f.text);
}

test.serial('chaos: GNU make -k under ipcfs jobserver -j4 while sub-makes and recipes are SIGKILLed: the build completes, never more than 4 jobs, every token back, reclaimed == tokens the killed held', async (t) => {
  await chaosRun(t, 'chaos-make', { ...MAKE_ONLY, sleepMs: CHAOS_SLEEP_MS }, 16);
});

for (const open of ['split', 'rdwr'] as const) {
  const wait = open === 'split' ? 'pselect' : 'poll';
  test.serial(`chaos: the C client (fifo:, ${open === 'split' ? 'O_RDONLY + O_WRONLY as make 4.4' : 'O_RDWR as the Rust crate'}, ${wait} then a non-blocking read) under make: the same guarantees`, async (t) => {
    // 7 directories, each 3 clients of 8 jobs and 6 recipes: 210 jobs
    await chaosRun(t, `chaos-${open}`, { depth: 2, fanout: 2, leaves: 6, clients: 3, clientJobs: 8, clientOpen: open, clientWait: wait, sleepMs: CHAOS_SLEEP_MS }, 16);
  });
}
