/**
 * limits/: the daemon's limits and usage, read-only (0444; set at mount time with --limits).
 *   limits/sem     SEMMSL SEMMNS SEMOPM SEMMNI, tab-separated: /proc/sys/kernel/sem's format
 *   limits/ipcfs   every limit and the current usage, `key: value` lines (docs/protocol.md, Limits)
 * A later issue adds /proc/sysvipc-style tables and the mqueue limits next to these.
 */
import { Errno, fail } from '../ipc/errno.js';
import { LIMIT_NAMES, type IpcQuota, type Limits, type Resource } from '../ipc/limits.js';
import { constants } from 'node:fs';
import { S_IFREG } from './fuse/abi.js';
import { StaticDir } from './tree/static-dir.js';
import { allocIno, type FileHandle, type FileNode, type FsContext, type Stat } from './tree/node.js';
import { StreamedText, wholeText } from './tree/text-file.js';

/** A read-only text stream rendered for its reader afresh after each end of file (tree/text-file.ts). */
class LimitsFile implements FileNode {
  readonly kind = 'file';
  readonly ino = allocIno();
  private readonly born = Date.now();
  constructor(private readonly render: (ctx: FsContext) => string) {}

  stat(): Stat {
    return { mode: S_IFREG | 0o444, uid: 0, gid: 0, size: 0, nlink: 1, atimeMs: this.born, mtimeMs: this.born, ctimeMs: this.born };
  }

  open(ctx: FsContext, flags: number): FileHandle {
    // root passes the kernel's mode check: refuse writers here too (limits are set at mount time)
    if ((flags & 3) !== constants.O_RDONLY) fail(Errno.EACCES, 'limits are read-only; set them with ipcfs mount --limits');
    const text = new StreamedText(wholeText(() => this.render(ctx)));
    return {
      mode: { directIo: true, stream: true, nonSeekable: true },
      read: (_ctx, _offset, size) => text.read(size),
      write: () => fail(Errno.EBADF),
      release: () => {},
    };
  }
}

/** Usage lines: name as in limits/ipcfs, the resource counted. */
const USAGE: [string, Resource][] = [
  ['objects', 'objects'],
  ['sem-sets', 'semSets'],
  ['semaphores', 'semaphores'],
  ['handles', 'handles'],
  ['dir-streams', 'dirStreams'],
  ['undo', 'undo'],
  ['mq-queues', 'mqQueues'],
  ['mq-bytes', 'mqBytes'],
  ['msg-queues', 'msgQueues'],
  ['shm-segments', 'shmSegments'],
  ['shm-pages', 'shmPages'],
];
const UID_USAGE: [string, Resource][] = [
  ['uid-objects', 'objects'],
  ['uid-semaphores', 'semaphores'],
  ['uid-handles', 'handles'],
  ['uid-dir-streams', 'dirStreams'],
  ['uid-undo', 'undo'],
  ['uid-mq-bytes', 'mqBytes'],
  ['uid-shm-pages', 'shmPages'],
];

export function semLimitsText(l: Limits): string {
  return `${l.semmsl}\t${l.semmns}\t${l.semopm}\t${l.semmni}\n`;
}

/** Limits, then usage by everyone, then the reader's own usage (uid: the reader's). */
export function ipcfsLimitsText(l: Limits, quota: IpcQuota, uid: number): string {
  const lines = (Object.keys(LIMIT_NAMES) as (keyof Limits)[]).map((k) => `${LIMIT_NAMES[k]}: ${l[k]}`);
  for (const [name, r] of USAGE) lines.push(`${name}-used: ${quota.used(r)}`);
  lines.push(`uid: ${uid}`);
  for (const [name, r] of UID_USAGE) lines.push(`${name}-used: ${quota.usedBy(uid, r)}`);
  return lines.join('\n') + '\n';
}

export function limitsDir(limits: Limits, quota: IpcQuota): StaticDir {
  return new StaticDir(0o555)
    .add('sem', new LimitsFile(() => semLimitsText(limits)))
    .add('ipcfs', new LimitsFile((ctx) => ipcfsLimitsText(limits, quota, ctx.caller.uid)));
}
