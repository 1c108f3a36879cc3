/**
 * The message-queue directories, as policies on the kind layer (fs/kinds):
 *  - mqueue/named: POSIX queues by name: open(O_CREAT) creates with the defaults of
 *    /proc/sys/fs/mqueue (msg_default, msgsize_default), `.new` with `create NAME [maxmsg=N]
 *    [msgsize=N] [mode=OCTAL] [excl]` (mq_open with an mq_attr: msg_max and msgsize_max bound an
 *    unprivileged creator, the hard maxima root), rm is mq_unlink;
 *  - mqueue/sysv: System V queues by msqid, by-key/ links, `.new` with `msgget KEY [mode=OCTAL]
 *    [creat] [excl]`, rm is IPC_RMID.
 */
import { Errno, fail } from '../../ipc/errno.js';
import type { IpcQuota, Limits } from '../../ipc/limits.js';
import { O_CREAT, O_EXCL, MqRegistry } from '../../ipc/mqueue/registry.js';
import { IPC_CREAT, IPC_EXCL, IPC_PRIVATE, MsgRegistry, type SysvMsgQueue } from '../../ipc/msg/registry.js';
import { NamedKindDir, type NamedKind } from '../kinds/named-dir.js';
import { SysvKindDir, type SysvKind } from '../kinds/sysv-dir.js';
import { countOption, modeOption, options, parseKey } from '../kinds/tokens.js';
import { MqFile, MqObject, SEND_WRITE_MAX } from './mq-file.js';
import { MsgFile, MsgObject } from './msg-file.js';

/**
 * The longest message a send can carry: what one send's write may be (mq-file.ts SEND_WRITE_MAX),
 * less the shortest command line (`send` and its newline). Not a bound on msgsize: root may create
 * a queue up to HARD_MSGSIZEMAX as on Linux (docs/protocol.md, Limits); its sends simply cannot
 * carry more than this.
 */
export const SENDABLE_MAX = SEND_WRITE_MAX - 'send\n'.length;

function policy(registry: MqRegistry): NamedKind<MqFile> {
  return {
    createOptions: { maxmsg: 'value', msgsize: 'value' },
    createUsage: 'create NAME [maxmsg=N] [msgsize=N] [mode=OCTAL] [excl]',
    unlinkCall: 'mq_unlink',
    make: (ctx, name, mode, opts, gone) => {
      const given = opts.has('maxmsg') || opts.has('msgsize');
      const d = registry.limits;
      const attr = given
        ? { maxmsg: countOption('maxmsg', opts.get('maxmsg'), Math.min(d.msgMax, d.msgDefault)), msgsize: countOption('msgsize', opts.get('msgsize'), Math.min(d.msgsizeMax, d.msgsizeDefault)) }
        : null;
      const { entry } = registry.open(name, O_CREAT | O_EXCL, mode, attr, ctx.caller);
      const file: MqFile = new MqFile(new MqObject(entry, registry, () => gone(file)), registry);
      return file;
    },
  };
}

function sysvPolicy(registry: MsgRegistry): SysvKind<SysvMsgQueue, MsgFile> {
  return {
    getUsage: 'msgget KEY [mode=OCTAL] [creat] [excl]   (KEY: 0x1234, decimal, or private)',
    get: (id) => registry.get(id),
    lookupKey: (key) => registry.lookupKey(key),
    values: () => registry.values(),
    linkTime: (q) => q.queue.ctime,
    permOf: (q) => q.queue.perm,
    fileOf: (q, gone) => new MsgFile(new MsgObject(q, registry, gone)),
    getCommand: (ctx, words) => {
      const { positional, opts } = options(words.slice(1), { mode: 'value', creat: 'flag', excl: 'flag' });
      if (words[0] !== 'msgget' || positional.length !== 1) fail(Errno.EINVAL, 'usage: msgget KEY [mode=OCTAL] [creat] [excl]');
      const key = parseKey(positional[0]!);
      let flags = modeOption(opts.get('mode'), 0o600);
      if (opts.has('creat') || key === IPC_PRIVATE) flags |= IPC_CREAT;
      if (opts.has('excl')) flags |= IPC_EXCL;
      return registry.msgget(key, flags, { uid: ctx.caller.uid, gid: ctx.caller.gid, groups: ctx.caller.groups, pid: ctx.caller.tgid }).id;
    },
  };
}

export type MqNamedDir = NamedKindDir<MqFile>;
export type MsgSysvDir = SysvKindDir<SysvMsgQueue, MsgFile>;

/** msgRegistry: the System V queues (sysvipc/msg reads them). */
export function mqueueDirs(limits: Limits, quota: IpcQuota): { named: MqNamedDir; sysv: MsgSysvDir; msgRegistry: MsgRegistry } {
  const registry = new MqRegistry(limits, quota);
  const msgRegistry = new MsgRegistry(limits, Date.now, quota);
  return {
    named: new NamedKindDir(policy(registry), quota),
    sysv: new SysvKindDir(sysvPolicy(msgRegistry)),
    msgRegistry,
  };
}
