/**
 * Making System V objects through a mount, reading their status files and the sysvipc/ tables, for
 * the sysvipc tests (in-process file calls: the daemon is another process).
 */
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Runs a command on a `.new` file (or an object's file) and returns the answer read back. */
export function command(file: string, text: string | Buffer): string {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, typeof text === 'string' ? Buffer.from(`${text}\n`) : text);
    const b = Buffer.alloc(64 * 1024);
    const n = readSync(fd, b, 0, b.length, null); // a stream: no position
    return b.toString('utf8', 0, n).trim();
  } finally {
    closeSync(fd);
  }
}

/** A command whose answer is not read (send, op). */
export function tell(file: string, text: string | Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, typeof text === 'string' ? Buffer.from(`${text}\n`) : text);
  } finally {
    closeSync(fd);
  }
}

export const KIND_DIRS = { sem: 'semaphores/sysv', msg: 'mqueue/sysv', shm: 'shared-memory/sysv' } as const;
export type Kind = keyof typeof KIND_DIRS;

/** `.new`'s get command: the new object's id. */
export function make(dir: string, kind: Kind, cmd: string): number {
  return Number(command(join(dir, KIND_DIRS[kind], '.new'), cmd));
}

export function objectFile(dir: string, kind: Kind, id: number): string {
  return join(dir, KIND_DIRS[kind], String(id));
}

/** An object's status as `key: value` (the first value of a repeated key). */
export function status(dir: string, kind: Kind, id: number): Record<string, string> {
  const file = kind === 'shm' ? join(dir, 'shared-memory', 'status', 'sysv', String(id)) : objectFile(dir, kind, id);
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0 && !(line.slice(0, i) in out)) out[line.slice(0, i)] = line.slice(i + 2);
  }
  return out;
}

/** A status time (ISO or `never`) as the table's epoch seconds. */
export const statusSeconds = (v: string | undefined): number => (v === undefined || v === 'never' ? 0 : Math.floor(Date.parse(v) / 1000));
/** A status key (0x%08x) as the table's signed decimal. */
export const statusKey = (v: string | undefined): number => parseInt(v ?? '', 16) | 0;

/** A table: its header and its rows as whitespace-split columns (numbers as printed). */
export function table(text: string): { header: string; rows: string[][] } {
  const [header, ...lines] = text.split('\n');
  return { header: header!, rows: lines.filter(Boolean).map((l) => l.trim().split(/\s+/)) };
}
