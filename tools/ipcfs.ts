#!/usr/bin/env node
/** The ipcfs command line: mount, umount, the object tools (sem, mq, shm) and jobserver. */
import './v8-tuning.js'; // first: before any other module's code runs
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MOUNTPOINT } from '../fs/daemon-defaults.js';
import { DEFAULT_BUSY_POLL_US } from '../fs/fuse/device-defaults.js';
import { LOG_LEVELS } from './log-levels.js';
import { DEFAULT_LIMITS, LIMIT_NAMES, parseLimits, type Limits } from '../ipc/limits.js';

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('not a non-negative integer');
  return n;
}

/** Checks one --limits list at parse time; repeated options accumulate (applied in order). */
function limitsOption(v: string, previous: string[] | undefined): string[] {
  try {
    parseLimits(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return [...(previous ?? []), v];
}

const program = new Command();

program
  .name('ipcfs')
  .description('System V and POSIX IPC objects as plain files on a FUSE mount')
  .version('0.1.0')
  .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
  .showHelpAfterError();

program
  .command('mount')
  .description('mount ipcfs and serve it in the foreground (logs go to stderr)')
  .argument('[dir]', 'mountpoint (created if missing)', DEFAULT_MOUNTPOINT)
  .option('--allow-other', 'let other users use the mount (non-root needs user_allow_other in /etc/fuse.conf)', false)
  .option('--no-default-permissions', 'do not let the kernel check mode bits (ipcfs then checks ACCESS itself)')
  .option('--fusermount', 'mount through fusermount3 even as root', false)
  .option('--test-files', 'add /.ipcfs-test with test-only files (tests and benchmarks)', false)
  .option('--limits <list>', `limits over the defaults (docs/protocol.md, Limits), e.g. semmni=8,uid-handles=64 (${Object.values(LIMIT_NAMES).join(', ')})`, limitsOption)
  .option('--sem-limits <list>', 'the same as --limits (kept for the semaphore limits: semmsl, semmns, semopm, semmni, semvmx, semaem)', limitsOption)
  .option('--busy-poll-us <n>', 'after activity, poll /dev/fuse this many microseconds before sleeping (0 = off)', parsePositiveInt, DEFAULT_BUSY_POLL_US)
  .action(async (dir: string, opts: { allowOther: boolean; defaultPermissions: boolean; fusermount: boolean; testFiles: boolean; busyPollUs: number; limits?: string[]; semLimits?: string[] }) => {
    // loaded here, not above: the object tools and `jobserver` (run once per build) need neither
    // the daemon nor pino, and loading them costs about 0.1 s of CPU per run
    const [{ runDaemon }, { MountError }, { createLogger }] = await Promise.all([import('../fs/daemon.js'), import('../fs/fuse/mount.js'), import('./log.js')]);
    const log = createLogger(program.opts<{ logLevel: string }>().logLevel);
    try {
      process.exitCode = await runDaemon({
        mountpoint: dir,
        allowOther: opts.allowOther,
        defaultPermissions: opts.defaultPermissions,
        viaFusermount: opts.fusermount,
        testFiles: opts.testFiles,
        busyPollUs: opts.busyPollUs,
        // --sem-limits first, --limits over it; each in command-line order
        limits: [...(opts.semLimits ?? []), ...(opts.limits ?? [])].reduce<Limits>((l, text) => parseLimits(text, l), DEFAULT_LIMITS),
        log,
      });
    } catch (err) {
      if (err instanceof MountError) {
        log.error(err.message);
        process.exitCode = 1;
        return;
      }
      throw err;
    }
  });

program
  .command('umount')
  .alias('unmount')
  .description('unmount an ipcfs mount (also one whose daemon died)')
  .argument('<dir>', 'mountpoint')
  .action(async (dir: string) => {
    const [{ mountState, unmount }, { createLogger }] = await Promise.all([import('../fs/fuse/mount.js'), import('./log.js')]);
    const log = createLogger(program.opts<{ logLevel: string }>().logLevel);
    if (mountState(dir) === 'none') {
      log.error(`${dir} is not mounted`);
      process.exitCode = 1;
      return;
    }
    try {
      unmount(dir, log);
    } catch (err) {
      log.error((err as Error).message);
      process.exitCode = 1;
    }
  });

/**
 * The object tools and jobserver, each loaded only when it runs (or for help): `ipcfs jobserver`
 * starts once per build and `ipcfs mq send` once per message, and loading every tool's modules
 * (the message-queue tool pulls in the kinds' parsers) doubled Node's own start-up time.
 */
const TOOLS: Record<string, () => Promise<Command>> = {
  sem: async () => (await import('./sem.js')).semCommand(),
  mq: async () => (await import('./mq.js')).mqCommand(),
  shm: async () => (await import('./shm.js')).shmCommand(),
  jobserver: async () => (await import('./jobserver.js')).jobserverCommand(),
};

/** The subcommand named on the command line (after the global options), if any. */
function subcommand(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--log-level') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

const wanted = subcommand(process.argv.slice(2));
for (const [name, load] of Object.entries(TOOLS)) if (!wanted || wanted === name || !(wanted in TOOLS || wanted === 'mount' || wanted === 'umount' || wanted === 'unmount')) program.addCommand(await load());

await program.parseAsync(process.argv);
