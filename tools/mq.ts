/**
 * `ipcfs mq ...`: POSIX message queues from the shell, over the files of a mount
 * (docs/protocol.md, "Message queues", CLI). Every operation is one write(2) of a command; a send
 * is one write of its command line and the message (framing rule 7), so messages are any bytes.
 *
 * Held messages (receive with undo) belong to the open file that received them: no other process
 * can acknowledge them. So acknowledging is part of `receive` (--ack, or `-- CMD`), never a
 * command of its own.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, fstatSync, fsyncSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { SENDABLE_MAX } from '../fs/mqueue/dirs.js';
import { CliError, DEFAULT_MOUNT, cloneCreate, readStdin, errText, nonNegative, octalArg, openOrFail, readAll, readToEnd, runAs, secondsArg } from './cli-io.js';

/** NAME: "/jobs" or "named/jobs" (a '/' inside is a subdirectory: "/app/jobs"). */
export function mqPath(mount: string, name: string): string {
  const rel = name.startsWith('/') ? `named${name}` : name;
  if (!/^named\/[^/]/.test(rel)) throw new CliError(`"${name}": use /NAME or named/NAME`);
  return join(mount, 'mqueue', rel);
}

const run = (fn: () => void | Promise<void>): (() => Promise<void>) => runAs('mq', fn);

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

/** The message to send: --message, else all of stdin (at most one byte more than a send carries). */
function messageFromStdin(): Buffer {
  return readStdin('the message', SENDABLE_MAX);
}

/** A received message: the answer of `receive`, `prio=P size=N [id=ID]` + newline + N bytes. */
interface Received {
  header: string;
  prio: number;
  id: string | null;
  data: Buffer;
}

function parseAnswer(path: string, answer: Buffer): Received {
  const nl = answer.indexOf(10);
  const header = answer.toString('utf8', 0, Math.max(nl, 0));
  const m = /^prio=(\d+) size=(\d+)(?: id=(\d+))?$/.exec(header);
  const data = answer.subarray(nl + 1);
  if (nl < 0 || !m || Number(m[2]) !== data.length) throw new CliError(`${path}: receive: unexpected answer "${header.slice(0, 80)}" (${answer.length} bytes)`);
  return { header, prio: Number(m[1]), id: m[3] ?? null, data };
}

/** Runs `receive` on fd (open O_RDWR) and reads its whole answer (to end of file: the slot is free again). */
function receiveOn(fd: number, path: string, command: string): Received {
  try {
    writeSync(fd, `${command}\n`);
  } catch (err) {
    throw new CliError(`${path}: ${command}: ${errText(err)}`);
  }
  try {
    return parseAnswer(path, readAll(fd));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${path}: reading the received message: ${errText(err)}`);
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

/** Runs cmd with the message on its stdin and the queue's open file as fd 3; its exit status. */
function runWithMessage(cmd: string[], fd: number, got: Received): Promise<number> {
  const env = { ...process.env, IPCFS_MQ_PRIO: String(got.prio), IPCFS_MQ_SIZE: String(got.data.length), IPCFS_MQ_ID: got.id ?? '' };
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

interface ReceiveOptions {
  timeout?: string;
  nonblock: boolean;
  undo: boolean;
  ack: boolean;
  printPrio: boolean;
}

export function mqCommand(): Command {
  const mq = new Command('mq').description('POSIX message queues on an ipcfs mount');
  mq.option('-m, --mount <dir>', 'the ipcfs mount ($IPCFS_MOUNT)', DEFAULT_MOUNT);
  const mount = (): string => mq.opts<{ mount: string }>().mount;

  mq.command('create')
    .description('create a queue (mq_open O_CREAT with an mq_attr) and print its NAME, named/NAME')
    .argument('<name>', '/NAME or named/NAME')
    .option('--maxmsg <n>', 'messages the queue holds (default msg_default)', nonNegative)
    .option('--msgsize <n>', 'longest message in bytes (default msgsize_default)', nonNegative)
    .option('--mode <octal>', 'permissions', octalArg, '600')
    .option('--excl', 'fail if it exists (EEXIST)', false)
    .action((name: string, o: { maxmsg?: number; msgsize?: number; mode: string; excl: boolean }) =>
      run(() => {
        const posix = mqPath(mount(), name).slice(join(mount(), 'mqueue', 'named').length);
        const attrs = `${o.maxmsg !== undefined ? ` maxmsg=${o.maxmsg}` : ''}${o.msgsize !== undefined ? ` msgsize=${o.msgsize}` : ''}`;
        const made = cloneCreate(join(mount(), 'mqueue', 'named', '.new'), `create ${posix}${attrs} mode=${o.mode}${o.excl ? ' excl' : ''}`);
        console.log(`named${made}`);
      })(),
    );

  mq.command('send')
    .description('send one message: --message TEXT, else all of stdin (any bytes)')
    .argument('<name>')
    .option('--message <text>', 'the message (else stdin is read to its end)')
    .option('--prio <n>', 'priority 0..32767 (higher first)', nonNegative, 0)
    .option('--timeout <seconds>', 'on a full queue, give up after this long (exit 1, ETIMEDOUT)', secondsArg)
    .option('--nonblock', 'on a full queue, fail at once (exit 1, EAGAIN)', false)
    .action((name: string, o: { message?: string; prio: number; timeout?: string; nonblock: boolean }) =>
      run(() => {
        const path = mqPath(mount(), name);
        const message = o.message !== undefined ? Buffer.from(o.message) : messageFromStdin();
        const command = `send prio=${o.prio}${o.timeout ? ` timeout=${o.timeout}` : ''}`;
        if (message.length > SENDABLE_MAX) throw new CliError(`${path}: ${command}: a message carries at most ${SENDABLE_MAX} bytes (EMSGSIZE)`);
        const fd = openOrFail(path, constants.O_WRONLY | (o.nonblock ? constants.O_NONBLOCK : 0));
        try {
          // one write: the command line and the message (framing rule 7)
          const buf = Buffer.concat([Buffer.from(`${command}\n`), message]);
          const n = writeSync(fd, buf);
          if (n !== buf.length) throw new CliError(`${path}: ${command}: short write (${n} of ${buf.length} bytes)`);
        } catch (err) {
          if (err instanceof CliError) throw err;
          throw new CliError(`${path}: ${command}: ${errText(err)}`);
        } finally {
          closeSync(fd);
        }
      })(),
    );

  mq.command('receive')
    .description('receive one message (highest priority, oldest first) and write its bytes to stdout, or run CMD with it on stdin')
    .argument('<name>')
    .argument('[cmd...]', 'after --: run CMD with the message on its stdin; acknowledged if CMD exits 0, back to the queue otherwise (implies --undo)')
    .option('--timeout <seconds>', 'on an empty queue, give up after this long (exit 1, ETIMEDOUT)', secondsArg)
    .option('--nonblock', 'on an empty queue, fail at once (exit 1, EAGAIN)', false)
    .option('--undo', 'hold the message: it goes back to the queue when this command ends unless acknowledged', false)
    .option('--ack', 'with --undo (implied): acknowledge once stdout has all the bytes (and, for a file, is synced)', false)
    .option('--print-prio', 'write the answer line "prio=P size=N [id=ID]" to stdout before the message', false)
    .action((name: string, cmd: string[], o: ReceiveOptions) =>
      run(async () => {
        const path = mqPath(mount(), name);
        const undo = o.undo || o.ack || cmd.length > 0;
        const command = `receive${undo ? ' undo' : ''}${o.timeout ? ` timeout=${o.timeout}` : ''}`;
        // receive needs read access, and commands are written: O_RDWR (docs/protocol.md)
        const fd = openOrFail(path, constants.O_RDWR | (o.nonblock ? constants.O_NONBLOCK : 0));
        try {
          const got = receiveOn(fd, path, command);
          if (cmd.length) {
            if (o.printPrio) writeStdout(Buffer.from(`${got.header}\n`), undo);
            const code = await runWithMessage(cmd, fd, got);
            if (code === 0) ack(fd, path, got.id!);
            process.exitCode = code;
            return;
          }
          writeStdout(o.printPrio ? Buffer.concat([Buffer.from(`${got.header}\n`), got.data]) : got.data, undo);
          if (o.ack) {
            flushStdout();
            ack(fd, path, got.id!);
          }
        } finally {
          // releases the open file, unless CMD (or what it left behind) still has it as fd 3:
          // a held message that is not acknowledged goes back to the queue then
          closeSync(fd);
        }
      })(),
    );

  mq.command('get')
    .description('print the status (or one field of it)')
    .argument('<name>')
    .option('--field <key>', 'only the value of the "KEY: value" line, e.g. curmsgs')
    .action((name: string, o: { field?: string }) =>
      run(() => {
        let text: string;
        try {
          text = readToEnd(mqPath(mount(), name));
        } catch (err) {
          if (err instanceof CliError) throw err;
          throw new CliError(`${name}: ${errText(err)}`);
        }
        if (o.field === undefined) {
          process.stdout.write(text);
          return;
        }
        const line = text.split('\n').find((l) => l.startsWith(`${o.field}: `));
        if (line === undefined) throw new CliError(`${name}: no field "${o.field}" in the status`);
        process.stdout.write(`${line.slice(o.field.length + 2)}\n`);
      })(),
    );

  mq.command('remove').alias('rm')
    .description('mq_unlink: the name goes at once; open files keep the queue')
    .argument('<name>')
    .action((name: string) =>
      run(() => {
        const path = mqPath(mount(), name);
        try {
          unlinkSync(path);
        } catch (err) {
          throw new CliError(`${path}: mq_unlink: ${errText(err)}`);
        }
      })(),
    );
  return mq;
}
