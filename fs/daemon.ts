/**
 * The ipcfs daemon: mount, serve the tree until unmounted or signalled, unmount.
 * SIGINT/SIGTERM and fatal errors unmount (lazily when files are still open) and close the
 * connection, which ends every request still waiting with ENOTCONN.
 */
import type { Logger } from 'pino';
import { DEFAULT_LIMITS, quotaFor, type Limits } from '../ipc/limits.js';
import { FuseDevice } from './fuse/device.js';
import { closeSync, readFileSync } from 'node:fs';
import { DeviceBackingFiles, hasCapSysAdmin } from './fuse/backing.js';
import { mount, unmount, unmountAsync } from './fuse/mount.js';
import { Session } from './fuse/session.js';
import { buildTree } from './layout.js';
import { IpcfsOperations } from './operations.js';

export { DEFAULT_MOUNTPOINT } from './daemon-defaults.js';

export interface DaemonOptions {
  mountpoint: string;
  allowOther?: boolean;
  defaultPermissions?: boolean;
  testFiles?: boolean;
  viaFusermount?: boolean;
  /** See FuseDevice: microseconds of busy-polling /dev/fuse after activity (0 = never). */
  busyPollUs?: number;
  /** every limit (ipc/limits.ts); the defaults when absent */
  limits?: Limits;
  log: Logger;
}

/** Runs until the mount goes away; resolves with the process exit code. */
export async function runDaemon(o: DaemonOptions): Promise<number> {
  const log = o.log;
  const mounted = mount({
    mountpoint: o.mountpoint,
    allowOther: o.allowOther,
    defaultPermissions: o.defaultPermissions,
    viaFusermount: o.viaFusermount,
    log,
  });
  let ops: IpcfsOperations;
  let session: Session;
  let backing: DeviceBackingFiles;
  try {
    const limits = o.limits ?? DEFAULT_LIMITS;
    // one quota for the objects the tree makes and the handles operations open
    const quota = quotaFor(limits);
    // Shared memory is served by FUSE passthrough when the kernel offers it and we may register
    // backing files (CAP_SYS_ADMIN); otherwise through the page cache (fs/memory/memory-file.ts).
    backing = new DeviceBackingFiles(mounted.fd);
    const passthrough = hasCapSysAdmin(readFileSync('/proc/self/status', 'utf8'));
    ops = new IpcfsOperations(buildTree({ testFiles: o.testFiles, limits, quota, backing }), log, {
      kernelChecksPermissions: o.defaultPermissions ?? true,
      quota,
    });
    session = new Session(new FuseDevice(mounted.fd, o.busyPollUs), ops, { log, passthrough });
  } catch (err) {
    // Close the connection first: requests (umount's stat) then fail at once instead of waiting for us.
    closeSync(mounted.fd);
    unmount(mounted.mountpoint, log);
    throw err;
  }
  ops.setNotifier((msg) => session.notify(msg));
  ops.setEarlyReplies(session.early);
  void session.ready.then((info) => backing.enable(info.passthrough === true));

  let exitCode = 0;
  let stopping: Promise<void> | null = null;
  const stop = (why: string, code: number): Promise<void> => {
    if (stopping) return stopping;
    exitCode = code;
    log.info({ why }, 'stopping');
    stopping = unmountAsync(mounted.mountpoint, log)
      .catch((err: unknown) => log.error({ err }, 'unmount failed'))
      .finally(() => session.close());
    return stopping;
  };
  const onSignal = (sig: NodeJS.Signals): void => void stop(sig, 0);
  const onFatal = (err: unknown): void => {
    log.fatal({ err }, 'fatal error');
    void stop('fatal error', 1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);

  await session.run();
  if (stopping) await stopping;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  process.off('uncaughtException', onFatal);
  process.off('unhandledRejection', onFatal);
  log.info({ mountpoint: mounted.mountpoint }, 'daemon stopped');
  return exitCode;
}
