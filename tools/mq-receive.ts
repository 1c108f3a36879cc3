/**
 * `ipcfs mq receive`: one `receive` command on the queue's file, its answer read back, the message
 * written to stdout or given to CMD, and (with undo) acknowledged on that same open file.
 *
 * Held messages (receive with undo) belong to the open file that received them: no other process
 * can acknowledge them. So acknowledging is part of `receive` (--ack, or `-- CMD`), never a
 * command of its own.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, fstatSync, fsyncSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { CliError, errText, openOrFail, readAll } from './cli-io.js';
import type { QueueKind, QueueRef } from './mq-name.js';

/** Writes all of buf to fd (stdout may be a non-blocking pipe: EAGAIN waits a little and retries). */
function writeFully(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length; ) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

/** Writes a received message (or its answer line) to stdout; a failure says what became of the message. */
function writeStdout(bytes: Buffer, undo: boolean): void {
  try {
    writeFully(1, bytes);
  } catch (err) {
    throw new CliError(`stdout: ${errText(err)}${undo ? ' (not acknowledged: the message goes back to the queue)' : ' (the message is lost: use --undo --ack)'}`);
  }
}

/** What the answer line calls the number before the size: a POSIX priority, a System V type. */
const HEADER_KEY: Record<QueueKind, string> = { posix: 'prio', sysv: 'type' };

/** A received message: the answer of `receive`, `prio=P size=N [id=ID]` (System V: `type=T ...`) + newline + N bytes. */
interface Received {
  header: string;
  /** the priority or the type */
  value: number;
  id: string | null;
  data: Buffer;
}

function parseAnswer(ref: QueueRef, answer: Buffer): Received {
  const nl = answer.indexOf(10);
  const header = answer.toString('utf8', 0, Math.max(nl, 0));
  const m = new RegExp(`^${HEADER_KEY[ref.kind]}=(\\d+) size=(\\d+)(?: id=(\\d+))?$`).exec(header);
  const data = answer.subarray(nl + 1);
  if (nl < 0 || !m || Number(m[2]) !== data.length) throw new CliError(`${ref.path}: receive: unexpected answer "${header.slice(0, 80)}" (${answer.length} bytes)`);
  return { header, value: Number(m[1]), id: m[3] ?? null, data };
}

/** Runs `receive` on fd (open O_RDWR) and reads its whole answer (to end of file: the slot is free again). */
function receiveOn(fd: number, ref: QueueRef, command: string): Received {
  try {
    writeSync(fd, `${command}\n`);
  } catch (err) {
    throw new CliError(`${ref.path}: ${command}: ${errText(err)}`);
  }
  try {
    return parseAnswer(ref, readAll(fd));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${ref.path}: reading the received message: ${errText(err)}`);
  }
}

function ack(fd: number, path: string, id: string): void {
  try {
    writeSync(fd, `ack ${id}\n`);
  } catch (err) {
    throw new CliError(`${path}: ack ${id}: ${errText(err)} (the message goes back to the queue)`);
  }
}

/** stdout done with: its bytes written, and on disk when it is a regular file. */
function flushStdout(): void {
  try {
    if (fstatSync(1).isFile()) fsyncSync(1);
  } catch (err) {
    throw new CliError(`stdout: ${errText(err)} (not acknowledged: the message goes back to the queue)`);
  }
}

/** CMD's environment: IPCFS_MQ_PRIO (POSIX) or IPCFS_MQ_TYPE (System V), never both, the size and the id. */
function messageEnv(kind: QueueKind, got: Received): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, IPCFS_MQ_SIZE: String(got.data.length), IPCFS_MQ_ID: got.id ?? '' };
  delete env.IPCFS_MQ_PRIO;
  delete env.IPCFS_MQ_TYPE;
  env[kind === 'posix' ? 'IPCFS_MQ_PRIO' : 'IPCFS_MQ_TYPE'] = String(got.value);
  return env;
}

/** Runs cmd with the message on its stdin and the queue's open file as fd 3; its exit status. */
function runWithMessage(cmd: string[], fd: number, env: NodeJS.ProcessEnv, got: Received): Promise<number> {
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'inherit', 'inherit', fd], env });
  child.stdin!.on('error', () => {
    // CMD need not read all of its stdin (EPIPE): its exit status decides
  });
  child.stdin!.end(got.data);
  return new Promise<number>((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`ipcfs mq receive: ${cmd[0]}: ${err.message}\n`);
      resolve(127);
    });
    child.on('exit', (c, sig) => resolve(c ?? 128 + (sig ? osConstants.signals[sig] : 0)));
  });
}

export interface ReceiveOptions {
  nonblock: boolean;
  undo: boolean;
  ack: boolean;
  /** write the answer line before the message */
  printHeader: boolean;
}

/**
 * Receives one message from ref with `command` (the kind's receive command without undo): to
 * stdout, or to CMD. Sets the exit status (CMD's when it ran).
 */
export async function receive(ref: QueueRef, command: string, cmd: string[], o: ReceiveOptions): Promise<void> {
  const undo = o.undo || o.ack || cmd.length > 0;
  const full = `${command}${undo ? ' undo' : ''}`;
  // receive needs read access, and commands are written: O_RDWR (docs/protocol.md)
  const fd = openOrFail(ref.path, constants.O_RDWR | (o.nonblock ? constants.O_NONBLOCK : 0));
  try {
    const got = receiveOn(fd, ref, full);
    if (cmd.length) {
      if (o.printHeader) writeStdout(Buffer.from(`${got.header}\n`), undo);
      const code = await runWithMessage(cmd, fd, messageEnv(ref.kind, got), got);
      if (code === 0) ack(fd, ref.path, got.id!);
      process.exitCode = code;
      return;
    }
    writeStdout(o.printHeader ? Buffer.concat([Buffer.from(`${got.header}\n`), got.data]) : got.data, undo);
    if (o.ack) {
      flushStdout();
      ack(fd, ref.path, got.id!);
    }
  } finally {
    // releases the open file, unless CMD (or what it left behind) still has it as fd 3:
    // a held message that is not acknowledged goes back to the queue then
    closeSync(fd);
  }
}
