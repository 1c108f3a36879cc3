/**
 * `ipcfs jobserver -j N [--name POOL] -- CMD ...`: runs CMD (a make, cargo, a script) with a
 * robust jobserver: a pool of N-1 tokens on the mount (make's own implicit token is the N-th),
 * published so that GNU make 4.3, make >= 4.4 and the Rust jobserver crate all join it, and
 * removed when CMD ends. Exit status: CMD's (128+N when signal N ended it; 127 when it could not
 * be started). Run under an existing pool (IPCFS_JOBSERVER, or a MAKEFLAGS whose jobserver is a
 * pool on a mount), it joins that pool instead: a recipe's slot is the inner make's implicit token.
 *
 * How the pool is published (docs/protocol.md, "Jobserver pools"; the reasons in README, "Robust
 * builds"):
 *  - MAKEFLAGS gets ` -jN --jobserver-auth=3,4`, the pool opened read-only as fd 3 and write-only
 *    as fd 4, inherited: make 4.3 reads only this form, and make >= 4.4 takes it as well. It goes
 *    last, replacing any job options a parent left: make and the crate use the last one.
 *  - CARGO_MAKEFLAGS gets the same with `--jobserver-auth=fifo:PATH`: the crate reads
 *    CARGO_MAKEFLAGS first, and in the fd form it may insist that fds 3 and 4 are pipes; opened by
 *    path, the pool is a regular file it reads and writes as a fifo.
 *  - IPCFS_JOBSERVER=PATH names the pool for nested `ipcfs jobserver` runs and for scripts.
 *
 * This process is a child subreaper (PR_SET_CHILD_SUBREAPER) and the pool's reaper: when a make of
 * the build is SIGKILLed, its running jobs become this process's children, the daemon finds them
 * there, and they keep a token each until they end (fs/jobserver/pool-processes.ts); this process
 * reaps them when they exit.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, existsSync, readlinkSync, unlinkSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { native } from '../fs/fuse/native.js';
import { childrenOf } from '../fs/jobserver/procfs.js';
import { CliError, DEFAULT_MOUNT, cloneCreate, nonNegative, openOrFail, readToEnd, runAs } from './cli-io.js';
import { jobserverAuth, joinMakeflags } from './makeflags.js';

/** The fds the pool is inherited as (MAKEFLAGS names them). */
const READ_FD = 3;
const WRITE_FD = 4;

interface PoolRef {
  path: string;
  /** jobs it lets run with make's implicit token: size + 1 */
  jobs: number;
}

/** A pool file on an ipcfs mount: .../jobserver/named/NAME. */
const isPoolPath = (p: string): boolean => /\/jobserver\/named\/[^/]/.test(p) && existsSync(p);

/** The pool this process runs under, if any: IPCFS_JOBSERVER, or MAKEFLAGS's jobserver if it is a pool. */
export function enclosingPool(env: NodeJS.ProcessEnv): string | null {
  const named = env.IPCFS_JOBSERVER;
  if (named && isPoolPath(named)) return named;
  const auth = jobserverAuth(env.MAKEFLAGS ?? '');
  if (!auth) return null;
  if (auth.startsWith('fifo:')) return isPoolPath(auth.slice(5)) ? auth.slice(5) : null;
  const fd = /^(\d+),\d+$/.exec(auth)?.[1];
  if (!fd) return null;
  try {
    // a per-lookup inode reads "PATH (deleted)" once another lookup replaced its dentry
    const target = readlinkSync(`/proc/self/fd/${fd}`).replace(/ \(deleted\)$/, '');
    return isPoolPath(target) ? target : null;
  } catch {
    return null;
  }
}

/** The pool's status text (jobserver/status/NAME: reading the pool itself would take tokens). */
const statusOf = (path: string): string => readToEnd(path.replace(/\/jobserver\/named\//, '/jobserver/status/'));

/** A number line of a status text, 0 when absent. */
const statusField = (status: string, key: string): number => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(status)?.[1] ?? 0);

/** Reaps this process's children other than CMD: the orphaned jobs it adopted as subreaper. */
function reapOrphans(cmdPid: number | undefined): void {
  for (const pid of childrenOf(process.pid)) if (pid !== cmdPid) native.reapChild(pid);
}

export function jobserverCommand(): Command {
  return new Command('jobserver')
    .description('run CMD under a robust jobserver pool of N jobs: tokens held by a process that dies come back')
    .argument('<cmd...>', 'the command (after --)')
    .option('-j, --jobs <n>', 'jobs that may run at once (the pool holds N-1 tokens: make has one of its own)', nonNegative)
    .option('--name <pool>', 'the pool\'s name in jobserver/named (default: jobs-PID)')
    .option('--mount <dir>', 'the ipcfs mount', DEFAULT_MOUNT)
    .option('--mode <octal>', 'the pool\'s permissions', '600')
    .action((cmd: string[], o: { jobs?: number; name?: string; mount: string; mode: string }) =>
      runAs('jobserver', async () => {
        const outer = enclosingPool(process.env);
        let pool: PoolRef;
        let made = false;
        if (outer) {
          pool = { path: outer, jobs: statusField(statusOf(outer), 'size') + 1 };
        } else {
          const jobs = o.jobs ?? 1;
          if (jobs < 1) throw new CliError('-j: at least 1 job');
          const name = (o.name ?? `jobs-${process.pid}`).replace(/^\//, '');
          // a subreaper before the pool exists: every job of CMD descends from it
          const rc = native.setChildSubreaper();
          if (rc < 0) throw new CliError(`prctl(PR_SET_CHILD_SUBREAPER): errno ${-rc}`);
          const dir = join(o.mount, 'jobserver', 'named');
          cloneCreate(join(dir, '.new'), `create ${name} size=${jobs - 1} mode=${o.mode} excl reaper`);
          pool = { path: join(dir, name), jobs };
          made = true;
        }
        const rfd = openOrFail(pool.path, constants.O_RDONLY);
        const wfd = openOrFail(pool.path, constants.O_WRONLY);
        const env = {
          ...process.env,
          MAKEFLAGS: joinMakeflags(process.env.MAKEFLAGS ?? '', pool.jobs, `${READ_FD},${WRITE_FD}`),
          CARGO_MAKEFLAGS: joinMakeflags(process.env.CARGO_MAKEFLAGS ?? '', pool.jobs, `fifo:${pool.path}`),
          IPCFS_JOBSERVER: pool.path,
        };
        const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['inherit', 'inherit', 'inherit', rfd, wfd], env });
        const onChild = (): void => reapOrphans(child.pid);
        if (made) process.on('SIGCHLD', onChild);
        const forward = (sig: NodeJS.Signals): void => {
          child.kill(sig);
        };
        for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(sig, forward);
        const code = await new Promise<number>((resolve) => {
          child.on('error', (err) => {
            process.stderr.write(`ipcfs jobserver: ${cmd[0]}: ${err.message}\n`);
            resolve(127);
          });
          child.on('exit', (c, sig) => resolve(c ?? 128 + (sig ? osConstants.signals[sig] : 0)));
        });
        closeSync(rfd);
        closeSync(wfd);
        if (made) {
          process.off('SIGCHLD', onChild);
          reapOrphans(child.pid);
          const status = statusOf(pool.path);
          const field = (k: string): number => statusField(status, k);
          if (field('reclaimed') || field('refused')) {
            process.stderr.write(`ipcfs jobserver: ${field('reclaimed')} token(s) reclaimed from processes that ended holding them, ${field('refused')} byte(s) refused\n`);
          }
          try {
            // rm: open files (jobs still running with the pool inherited) keep it
            unlinkSync(pool.path);
          } catch (err) {
            process.stderr.write(`ipcfs jobserver: removing ${pool.path}: ${(err as Error).message}\n`);
          }
        }
        for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.off(sig, forward);
        process.exitCode = code;
      })(),
    );
}
