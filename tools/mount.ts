/**
 * `ipcfs mount` and `ipcfs umount`: loaded only when one of them runs (or for help), like every
 * tool (tools/ipcfs.ts): their options need the limits tables, and the daemon, pino and the V8
 * tuning belong to the daemon alone, not to `ipcfs jobserver` or `ipcfs sem post`, which start
 * once per build or per operation.
 */
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_MOUNTPOINT } from '../fs/daemon-defaults.js';
import { DEFAULT_BUSY_POLL_US } from '../fs/fuse/device-defaults.js';
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

/** The global --log-level (tools/ipcfs.ts) of the command line cmd belongs to. */
const logLevel = (cmd: Command): string => cmd.optsWithGlobals<{ logLevel: string }>().logLevel;

interface MountOptions {
  allowOther: boolean;
  defaultPermissions: boolean;
  fusermount: boolean;
  testFiles: boolean;
  busyPollUs: number;
  limits?: string[];
  semLimits?: string[];
}

export function mountCommand(): Command {
  return new Command('mount')
    .description('mount ipcfs and serve it in the foreground (logs go to stderr)')
    .argument('[dir]', 'mountpoint (created if missing)', DEFAULT_MOUNTPOINT)
    .option('--allow-other', 'let other users use the mount (non-root needs user_allow_other in /etc/fuse.conf)', false)
    .option('--no-default-permissions', 'do not let the kernel check mode bits (ipcfs then checks ACCESS itself)')
    .option('--fusermount', 'mount through fusermount3 even as root', false)
    .option('--test-files', 'add /.ipcfs-test with test-only files (tests and benchmarks)', false)
    .option('--limits <list>', `limits over the defaults (docs/protocol.md, Limits), e.g. semmni=8,uid-handles=64 (${Object.values(LIMIT_NAMES).join(', ')})`, limitsOption)
    .option('--sem-limits <list>', 'the same as --limits (kept for the semaphore limits: semmsl, semmns, semopm, semmni, semvmx, semaem)', limitsOption)
    .option('--busy-poll-us <n>', 'after activity, poll /dev/fuse up to this many microseconds before sleeping (0 = off; adapts to how soon requests follow)', parsePositiveInt, DEFAULT_BUSY_POLL_US)
    .action(async (dir: string, opts: MountOptions, cmd: Command) => {
      // the V8 tuning first, then the daemon's modules: their functions get the daemon's budget
      await import('./v8-tuning.js');
      const [{ runDaemon }, { MountError }, { createLogger }] = await Promise.all([import('../fs/daemon.js'), import('../fs/fuse/mount.js'), import('./log.js')]);
      const log = createLogger(logLevel(cmd));
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
}

export function umountCommand(): Command {
  return new Command('umount')
    .alias('unmount')
    .description('unmount an ipcfs mount (also one whose daemon died)')
    .argument('<dir>', 'mountpoint')
    .action(async (dir: string, _opts: unknown, cmd: Command) => {
      const [{ mountState, unmount }, { createLogger }] = await Promise.all([import('../fs/fuse/mount.js'), import('./log.js')]);
      const log = createLogger(logLevel(cmd));
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
}
