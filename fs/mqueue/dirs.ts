/**
 * mqueue/named: POSIX message queues by name, a NamedKind policy on the kind layer (fs/kinds):
 * open(O_CREAT) creates with the defaults of /proc/sys/fs/mqueue (msg_default, msgsize_default),
 * `.new` with `create NAME [maxmsg=N] [msgsize=N] [mode=OCTAL] [excl]` (mq_open with an mq_attr:
 * msg_max and msgsize_max bound an unprivileged creator, the hard maxima root), rm is mq_unlink.
 */
import type { IpcQuota, Limits } from '../../ipc/limits.js';
import { O_CREAT, O_EXCL, MqRegistry } from '../../ipc/mqueue/registry.js';
import { NamedKindDir, type NamedKind } from '../kinds/named-dir.js';
import { countOption } from '../kinds/tokens.js';
import { MqFile, MqObject, SEND_WRITE_MAX } from './mq-file.js';

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

export type MqNamedDir = NamedKindDir<MqFile>;

export function mqueueDirs(limits: Limits, quota: IpcQuota): { named: MqNamedDir } {
  const registry = new MqRegistry(limits, quota);
  return { named: new NamedKindDir(policy(registry), quota) };
}
