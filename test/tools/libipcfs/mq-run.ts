/**
 * Runs a libipcfs scenario program twice: its glibc build on the kernel in a private IPC namespace
 * (`unshare --ipc`: the host's objects are never touched), and its libipcfs build on a mount.
 * Shared by the mq-* and sysv-msg-* tests.
 */
import { spawnSync } from 'node:child_process';

export interface Run {
  status: number | null;
  out: string;
  err: string;
}

function run(argv: string[], env: NodeJS.ProcessEnv): Run {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, out: r.stdout ?? '', err: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** The glibc build on the kernel, in a fresh IPC namespace (its /proc/sys/fs/mqueue defaults). */
export function onKernel(bin: string, args: string[], sysctl: Record<string, number> = {}): Run {
  const sets = Object.entries(sysctl).map(([k, v]) => `echo ${v} > /proc/sys/${k.replace(/\./g, '/')} && `).join('');
  return run(['unshare', '--ipc', 'sh', '-c', `${sets}exec "$0" "$@"`, bin, ...args], process.env);
}

/** The libipcfs build on the mount at dir. */
export function onMount(bin: string, args: string[], dir: string): Run {
  return run([bin, ...args], { ...process.env, IPCFS_MOUNT: dir });
}
