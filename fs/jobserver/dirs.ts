/**
 * jobserver/named: token pools by name, a policy on the kind layer (fs/kinds/named-dir.ts).
 * open(O_CREAT) makes a pool of as many tokens as the machine has CPUs; `.new` makes one with
 * `create NAME [size=N] [mode=OCTAL] [excl] [reaper]` (`reaper`: the creating process is a child
 * subreaper that adopts the jobs of a make killed in its tree: pool-processes.ts); rm unlinks
 * (open files keep the pool). jobserver/status mirrors it: each pool's status, since reading a
 * pool takes tokens.
 */
import { availableParallelism } from 'node:os';
import { Errno, fail } from '../../ipc/errno.js';
import { POOL_TOKENS_HARD_MAX } from '../../ipc/jobserver/limits.js';
import { TokenPool } from '../../ipc/jobserver/pool.js';
import type { IpcQuota, Limits } from '../../ipc/limits.js';
import { ROOT_UID } from '../../ipc/quota.js';
import { NamedKindDir, type NamedKind } from '../kinds/named-dir.js';
import { StatusDir } from '../kinds/status-dir.js';
import { countOption } from '../kinds/tokens.js';
import type { FsNode } from '../tree/node.js';
import { PoolFile, PoolObject } from './pool-file.js';
import { PoolProcesses } from './pool-processes.js';

/** open(O_CREAT)'s pool: one token per CPU the daemon may use */
export const DEFAULT_POOL_SIZE = availableParallelism();

function policy(limits: Limits, quota: IpcQuota): NamedKind<PoolFile> {
  return {
    createOptions: { size: 'value', reaper: 'flag' },
    createUsage: 'create NAME [size=N] [mode=OCTAL] [excl] [reaper]',
    unlinkCall: 'unlink',
    make: (ctx, name, mode, opts, gone) => {
      const who = ctx.caller;
      const max = who.uid === ROOT_UID ? POOL_TOKENS_HARD_MAX : limits.poolTokens;
      const size = countOption('size', opts.get('size'), Math.min(DEFAULT_POOL_SIZE, max));
      if (size > max) fail(Errno.EINVAL, `size=${size}: a pool holds at most ${max} tokens${who.uid === ROOT_UID ? '' : ' (pool-tokens; root may make larger ones)'}`);
      const charge = quota.charge(who.uid, { objects: 1 }, 'create pool');
      const pool = new TokenPool(size);
      const processes = new PoolProcesses(pool, ctx.log, quota, who.uid);
      const perm = { uid: who.uid, gid: who.gid, cuid: who.uid, cgid: who.gid, mode: mode & 0o777 };
      const obj: PoolObject = new PoolObject(name, pool, processes, perm, () => {
        charge.release();
        gone(file);
      });
      const file: PoolFile = new PoolFile(obj);
      if (opts.has('reaper')) processes.setReaper(who.tgid);
      return file;
    },
  };
}

const isPoolFile = (node: FsNode): node is PoolFile => node instanceof PoolFile;

export function jobserverDirs(limits: Limits, quota: IpcQuota): { named: NamedKindDir<PoolFile>; status: StatusDir } {
  const named = new NamedKindDir(policy(limits, quota), quota);
  return { named, status: new StatusDir(named, isPoolFile) };
}
