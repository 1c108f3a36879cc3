/**
 * The tree ipcfs mounts. Each IPC kind gets one directory; the issues that bring a kind replace its
 * placeholder StaticDir with the kind's own DirNode.
 *
 *   semaphores/{named,unnamed,sysv}   shared-memory/{named,sysv,status}   mqueue/{named,sysv}
 *   jobserver/{named,status}          GNU make jobserver token pools (fs/jobserver)
 *   limits/{sem,ipcfs}                the daemon's limits and usage (fs/limits-dir.ts), and
 *   limits/{shmmax,shmall,shmmni,msgmax,msgmnb,msgmni}   as /proc/sys/kernel/X
 *   limits/mqueue/{msg_default,msg_max,msgsize_default,msgsize_max,queues_max}   as /proc/sys/fs/mqueue/X
 *   sysvipc/{sem,msg,shm}             the System V objects as /proc/sysvipc's tables (fs/sysvipc)
 *
 * The kind directories are mode 1777 like /dev/shm: anyone may create objects, only an object's
 * owner (or root) may remove it (the VFS enforces the sticky bit under default_permissions).
 */
import { FUSE_ROOT_ID } from './fuse/abi.js';
import { StaticDir } from './tree/static-dir.js';
import type { DirNode } from './tree/node.js';
import { testFilesDir } from './test-files.js';
import { semaphoreDirs } from './semaphores/dirs.js';
import { mqueueDirs } from './mqueue/dirs.js';
import { shmDirs } from './shm/dirs.js';
import { jobserverDirs } from './jobserver/dirs.js';
import { SysvRegistry } from '../ipc/semaphores/registry.js';
import type { SemLimits } from '../ipc/semaphores/limits.js';
import { DEFAULT_LIMITS, quotaFor, type IpcQuota, type Limits } from '../ipc/limits.js';
import { limitsDir } from './limits-dir.js';
import { sysvipcDir } from './sysvipc/dir.js';
import { KIND_DIR_MODE } from './kinds/kind-dir.js';
import type { BackingFiles } from './fuse/backing.js';

export { KIND_DIR_MODE };

export interface LayoutOptions {
  /** Adds /.ipcfs-test (test-only files). */
  testFiles?: boolean;
  /** Every limit (ipc/limits.ts); the defaults when absent. */
  limits?: Limits;
  /** System V semaphore limits (SEMMSL, SEMOPM, ...) over `limits`. */
  semLimits?: SemLimits;
  /** Where objects are charged; a fresh one from the limits when absent (give IpcfsOperations the same). */
  quota?: IpcQuota;
  /** The connection's backing files (FUSE passthrough) for shared memory; none when absent. */
  backing?: BackingFiles;
  /** Replacements for the kind directories, by path ("semaphores/named", ...). */
  kinds?: Record<string, DirNode>;
}

export const KIND_PATHS = [
  'semaphores/named',
  'semaphores/unnamed',
  'semaphores/sysv',
  'shared-memory/named',
  'shared-memory/sysv',
  'mqueue/named',
  'mqueue/sysv',
  'jobserver/named',
] as const;

export function buildTree(options: LayoutOptions = {}): StaticDir {
  const root = new StaticDir(0o755, FUSE_ROOT_ID);
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits, ...options.semLimits };
  const quota = options.quota ?? quotaFor(limits);
  const semRegistry = new SysvRegistry(limits, Date.now, quota);
  const sems = semaphoreDirs(semRegistry);
  const mqs = mqueueDirs(limits, quota);
  const shm = shmDirs(limits, quota, options.backing);
  const jobserver = jobserverDirs(limits, quota);
  const kinds: Record<string, DirNode> = {
    'semaphores/named': sems.named,
    'semaphores/unnamed': sems.unnamed,
    'semaphores/sysv': sems.sysv,
    'mqueue/named': mqs.named,
    'mqueue/sysv': mqs.sysv,
    'shared-memory/named': shm.named,
    'shared-memory/sysv': shm.sysv,
    'jobserver/named': jobserver.named,
    ...options.kinds,
  };
  const groups = new Map<string, StaticDir>();
  for (const path of KIND_PATHS) {
    const [group, kind] = path.split('/') as [string, string];
    let g = groups.get(group);
    if (!g) {
      g = new StaticDir(0o755);
      groups.set(group, g);
      root.add(group, g);
    }
    g.add(kind, kinds[path] ?? new StaticDir(KIND_DIR_MODE));
  }
  groups.get('shared-memory')!.add('status', shm.status);
  groups.get('jobserver')!.add('status', jobserver.status);
  root.add('limits', limitsDir(limits, quota));
  root.add('sysvipc', sysvipcDir({
    semaphores: () => semRegistry.values(),
    queues: () => mqs.msgRegistry.values(),
    segments: () => shm.registry.values(),
    changes: { sem: () => semRegistry.changes, msg: () => mqs.msgRegistry.changes, shm: () => shm.registry.changes },
    residentBytes: shm.residentBytes,
  }));
  if (options.testFiles) root.add('.ipcfs-test', testFilesDir(options.backing));
  return root;
}
