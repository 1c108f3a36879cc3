/**
 * How `ipcfs mq` names a queue, and which options each kind takes (docs/protocol.md, "CLI
 * (message queues)"). A NAME is the queue's file under mqueue/, as `ls` shows it:
 *
 *   /NAME, named/NAME          a POSIX queue (a '/' inside is a subdirectory: /app/jobs)
 *   sysv/MSQID                 a System V queue by its id
 *   sysv/by-key/KEY            a System V queue by its key (0x1234 or a decimal), through by-key/
 */
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { hexKey, parseKey } from '../fs/kinds/tokens.js';
import { CliError, errText } from './cli-io.js';

export type QueueKind = 'posix' | 'sysv';

/** A queue named on the command line: its kind and its file. */
export interface QueueRef {
  kind: QueueKind;
  /** the queue's file (a by-key name resolved to sysv/MSQID) */
  path: string;
}

/** The NAME forms, for help texts. */
export const NAME_FORMS = '/NAME, named/NAME, sysv/MSQID or sysv/by-key/KEY';

/**
 * A by-key name resolved to its queue's file, sysv/MSQID: the by-key link itself is not the queue
 * (unlinking it would not remove the queue).
 */
function byKey(sysv: string, name: string, key: string): string {
  let hex: string;
  try {
    if (key === 'private') throw new Error('a private queue has no key');
    hex = hexKey(parseKey(key));
  } catch (err) {
    throw new CliError(`"${name}": KEY is 0x and 1-8 hex digits or a 32-bit decimal (${(err as Error).message})`);
  }
  const link = join(sysv, 'by-key', hex);
  try {
    return join(sysv, 'by-key', readlinkSync(link));
  } catch (err) {
    throw new CliError(`${link}: ${errText(err)}`);
  }
}

export function queueRef(mount: string, name: string): QueueRef {
  const base = join(mount, 'mqueue');
  const rel = name.startsWith('/') ? `named${name}` : name;
  if (/^named\/[^/]/.test(rel)) return { kind: 'posix', path: join(base, rel) };
  if (/^sysv\/\d+$/.test(rel)) return { kind: 'sysv', path: join(base, rel) };
  const key = /^sysv\/by-key\/([^/]+)$/.exec(rel)?.[1];
  if (key !== undefined) return { kind: 'sysv', path: byKey(join(base, 'sysv'), name, key) };
  throw new CliError(`"${name}": use ${NAME_FORMS}`);
}

const KIND_TEXT: Record<QueueKind, string> = { posix: 'POSIX', sysv: 'System V' };

/**
 * Options that apply to one kind only, refused on the other: flag text -> its value (given when
 * neither undefined nor false). A usage error like a bad NAME: the CLI's message, exit 1.
 */
export function refuseOtherKind(kind: QueueKind, name: string, only: Record<QueueKind, Record<string, unknown>>): void {
  const other: QueueKind = kind === 'posix' ? 'sysv' : 'posix';
  const given = Object.entries(only[other]).filter(([, v]) => v !== undefined && v !== false).map(([flag]) => flag);
  if (given.length) throw new CliError(`"${name}" is a ${KIND_TEXT[kind]} queue: ${given.join(', ')} ${given.length > 1 ? 'apply' : 'applies'} to ${KIND_TEXT[other]} queues only`);
}
