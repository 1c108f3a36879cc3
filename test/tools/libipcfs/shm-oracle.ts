/**
 * Runs of the shared-memory scenario programs: natively, where glibc and the kernel are the
 * oracle, in a private IPC namespace (`unshare --ipc`) with a private tmpfs on /dev/shm (POSIX
 * objects are files there, which an IPC namespace does not separate), so no run touches the host's
 * objects; and against an ipcfs mount (IPCFS_MOUNT). Root only, as every real-mount test.
 */
import { spawnSync } from 'node:child_process';

export interface Run {
  status: number | null;
  out: string;
  err: string;
}

const result = (r: ReturnType<typeof spawnSync>): Run => ({ status: r.status, out: String(r.stdout), err: String(r.stderr) });

/** bin in a fresh IPC namespace with an empty /dev/shm of its own; then script (sh) there, if given. */
export function nativeRun(bin: string, args: readonly string[] = [], after = ''): Run {
  const script = `mount -t tmpfs tmpfs /dev/shm || exit 99; "$@"; s=$?; ${after} exit $s`;
  return result(spawnSync('unshare', ['--ipc', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', bin, ...args], { encoding: 'utf8', timeout: 30_000 }));
}

/** bin with its calls on the mount (a libipcfs build, or any program under env, e.g. LD_PRELOAD). */
export function ipcfsRun(bin: string, mount: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Run {
  return result(spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, IPCFS_MOUNT: mount, ...env } }));
}
