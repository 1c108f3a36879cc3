/**
 * What the object tools (`ipcfs sem`, `ipcfs mq`) share: errors shown as "what: message (ERRNO)"
 * with exit status 1, the mount option's default, whole-file reads of a status, `.new` creates,
 * and the argument parsers.
 */
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { errnoName } from '../ipc/errno.js';
import { mountFrom } from './mount-check.js';

/** A failure to show the user (stderr, exit 1), not a bug. */
export class CliError extends Error {}

/** The mount of the object tools: IPCFS_MOUNT (unless empty), else the default mountpoint (mount-check.ts). */
export const DEFAULT_MOUNT = mountFrom(undefined);

/** strerror(3)'s text of the Linux errnos libuv has no name for (Node reports them as UNKNOWN). */
const UNNAMED_BY_LIBUV: Record<string, string> = { ENOMSG: 'no message of desired type', EIDRM: 'identifier removed' };

/** "No such file or directory (ENOENT)": the text without Node's syscall and path decorations. */
export function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'UNKNOWN' && typeof e.errno === 'number') {
    const name = errnoName(-e.errno);
    return `${UNNAMED_BY_LIBUV[name] ?? 'unknown error'} (${name})`;
  }
  return e.code ? `${e.message.replace(/^[A-Z0-9]+: /, '').replace(/, \w+( '.*')?$/, '')} (${e.code})` : String(err);
}

export function openOrFail(path: string, flags: number): number {
  try {
    return openSync(path, flags);
  } catch (err) {
    throw new CliError(`${path}: ${errText(err)}`);
  }
}

/** Reads fd until end of file. */
export function readAll(fd: number): Buffer {
  const parts: Buffer[] = [];
  for (;;) {
    const buf = Buffer.allocUnsafe(65536);
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) return Buffer.concat(parts);
    parts.push(buf.subarray(0, n));
  }
}

/**
 * The whole status text: read until end of file. (readFileSync stops at st_size, and an object
 * file's st_size is the command limit, not the length of its status: docs/protocol.md.)
 */
export function readToEnd(path: string): string {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    return readAll(fd).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Writes a create command to a clone file and returns its answer. */
export function cloneCreate(file: string, command: string): string {
  const fd = openSync(file, constants.O_RDWR);
  try {
    writeSync(fd, `${command}\n`);
    const buf = Buffer.alloc(4096);
    return buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, null)).trim();
  } catch (err) {
    // the errno stays reachable (cause) for callers that answer by errno (ipcmk)
    throw new CliError(`${command}: ${errText(err)}`, { cause: err });
  } finally {
    closeSync(fd);
  }
}

export const nonNegative = (v: string): number => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('a non-negative integer');
  return Number(v);
};
export const secondsArg = (v: string): string => {
  if (!/^\d+(\.\d+)?$/.test(v)) throw new InvalidArgumentError('seconds, e.g. 1.5');
  return v;
};
export const octalArg = (v: string): string => {
  if (!/^[0-7]{1,4}$/.test(v)) throw new InvalidArgumentError('octal, e.g. 600');
  return v;
};

/** Runs an action; a CliError is printed as "ipcfs TOOL: message" and exits 1. */
export function runAs(tool: string, fn: () => void | Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await fn();
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      process.stderr.write(`ipcfs ${tool}: ${err.message}\n`);
      process.exitCode = 1;
    }
  };
}

/**
 * All of stdin, or its first limit+1 bytes when it has more (the caller then refuses it). stdin may
 * be a non-blocking pipe: EAGAIN waits a little and reads on.
 */
export function readStdin(what: string, limit = Infinity): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(65536);
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (code === 'EOF') return Buffer.concat(parts);
      throw new CliError(`reading ${what} from stdin: ${errText(err)}`);
    }
    if (n === 0) return Buffer.concat(parts);
    parts.push(buf.subarray(0, n));
    total += n;
    if (total > limit) return Buffer.concat(parts);
  }
}
