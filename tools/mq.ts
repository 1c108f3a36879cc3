/**
 * `ipcfs mq ...`: POSIX and System V message queues from the shell, over the files of a mount
 * (docs/protocol.md, "Message queues", CLI). Every operation is one write(2) of a command; a send
 * is one write of its command line and the message (framing rule 7), so messages are any bytes.
 * Names and the options of each kind: mq-name.ts; receive: mq-receive.ts.
 */
import { closeSync, constants, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { SENDABLE_MAX } from '../fs/mqueue/dirs.js';
import { WHOLE_WRITE_MAX } from '../fs/mqueue/msg-file.js';
import { CliError, DEFAULT_MOUNT, cloneCreate, readStdin, errText, nonNegative, octalArg, openOrFail, readToEnd, runAs, secondsArg } from './cli-io.js';
import { NAME_FORMS, queueRef, refuseOtherKind, type QueueRef } from './mq-name.js';
import { receive } from './mq-receive.js';

const run = (fn: () => void | Promise<void>): (() => Promise<void>) => runAs('mq', fn);

/** A System V type or msgtyp: any integer (the daemon answers EINVAL where msgsnd/msgrcv would). */
const integerArg = (v: string): string => {
  if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError('an integer');
  return v;
};

interface SendOptions {
  message?: string;
  prio?: number;
  type?: string;
  timeout?: string;
  nonblock: boolean;
}

/**
 * The send command line and the longest message it may carry. POSIX: EMSGSIZE past SENDABLE_MAX,
 * as the daemon; System V: the whole write at most WHOLE_WRITE_MAX (EINVAL), so that the kernel
 * never cuts it. Checked before anything is sent.
 */
function sendCommand(ref: QueueRef, name: string, o: SendOptions): { command: string; max: number; errno: string } {
  if (ref.kind === 'posix') return { command: `send prio=${o.prio ?? 0}${o.timeout ? ` timeout=${o.timeout}` : ''}`, max: SENDABLE_MAX, errno: 'EMSGSIZE' };
  if (o.type === undefined) throw new CliError(`${name}: send: --type is required for a System V queue (msgsnd's mtype, > 0)`);
  const command = `send ${o.type}`;
  return { command, max: WHOLE_WRITE_MAX - command.length - 1, errno: 'EINVAL' };
}

interface ReceiveFlags {
  timeout?: string;
  type?: string;
  except?: boolean;
  noerror?: boolean;
  size?: number;
  nonblock: boolean;
  undo: boolean;
  ack: boolean;
  printHeader: boolean;
  printPrio?: boolean;
}

/** The kind's receive command, without undo (added by receive()). */
function receiveCommand(ref: QueueRef, o: ReceiveFlags): string {
  if (ref.kind === 'posix') return `receive${o.timeout ? ` timeout=${o.timeout}` : ''}`;
  return `receive${o.type !== undefined ? ` ${o.type}` : ''}${o.except ? ' except' : ''}${o.noerror ? ' noerror' : ''}${o.size !== undefined ? ` size=${o.size}` : ''}`;
}

export function mqCommand(): Command {
  const mq = new Command('mq').description('POSIX and System V message queues on an ipcfs mount');
  mq.option('-m, --mount <dir>', 'the ipcfs mount ($IPCFS_MOUNT)', DEFAULT_MOUNT);
  const mount = (): string => mq.opts<{ mount: string }>().mount;

  mq.command('create')
    .description('create a queue and print its NAME: /NAME (mq_open O_CREAT with an mq_attr) or sysv [--key KEY] (msgget ... creat)')
    .argument('<name>', '/NAME, named/NAME, or sysv')
    .option('--maxmsg <n>', 'POSIX: messages the queue holds (default msg_default)', nonNegative)
    .option('--msgsize <n>', 'POSIX: longest message in bytes (default msgsize_default)', nonNegative)
    .option('--key <key>', 'System V: 0x1234, a decimal, or private (the default: always a new queue)')
    .option('--mode <octal>', 'permissions', octalArg, '600')
    .option('--excl', 'fail if it exists (EEXIST)', false)
    .action((name: string, o: { maxmsg?: number; msgsize?: number; key?: string; mode: string; excl: boolean }) =>
      run(() => {
        const excl = o.excl ? ' excl' : '';
        if (name === 'sysv') {
          refuseOtherKind('sysv', name, { posix: { '--maxmsg': o.maxmsg, '--msgsize': o.msgsize }, sysv: {} });
          const id = cloneCreate(join(mount(), 'mqueue', 'sysv', '.new'), `msgget ${o.key ?? 'private'} mode=${o.mode} creat${excl}`);
          console.log(`sysv/${id}`);
          return;
        }
        if (name.startsWith('sysv/')) throw new CliError(`create: "${name}": a System V queue is made with \`create sysv [--key KEY]\``);
        const ref = queueRef(mount(), name);
        refuseOtherKind(ref.kind, name, { posix: {}, sysv: { '--key': o.key } });
        const posix = ref.path.slice(join(mount(), 'mqueue', 'named').length);
        const attrs = `${o.maxmsg !== undefined ? ` maxmsg=${o.maxmsg}` : ''}${o.msgsize !== undefined ? ` msgsize=${o.msgsize}` : ''}`;
        const made = cloneCreate(join(mount(), 'mqueue', 'named', '.new'), `create ${posix}${attrs} mode=${o.mode}${excl}`);
        console.log(`named${made}`);
      })(),
    );

  mq.command('send')
    .description('send one message: --message TEXT, else all of stdin (any bytes)')
    .argument('<name>', NAME_FORMS)
    .option('--message <text>', 'the message (else stdin is read to its end)')
    .option('--prio <n>', 'POSIX: priority 0..32767, higher first (default 0)', nonNegative)
    .option('--type <n>', 'System V (required): the message type, > 0 (mtype)', integerArg)
    .option('--timeout <seconds>', 'POSIX: on a full queue, give up after this long (exit 1, ETIMEDOUT)', secondsArg)
    .option('--nonblock', 'on a full queue, fail at once (exit 1, EAGAIN; System V: IPC_NOWAIT)', false)
    .action((name: string, o: SendOptions) =>
      run(() => {
        const ref = queueRef(mount(), name);
        refuseOtherKind(ref.kind, name, { posix: { '--prio': o.prio, '--timeout': o.timeout }, sysv: { '--type': o.type } });
        const { command, max, errno } = sendCommand(ref, name, o);
        const message = o.message !== undefined ? Buffer.from(o.message) : readStdin('the message', max);
        if (message.length > max) throw new CliError(`${ref.path}: ${command}: a message carries at most ${max} bytes (${errno})`);
        const fd = openOrFail(ref.path, constants.O_WRONLY | (o.nonblock ? constants.O_NONBLOCK : 0));
        try {
          // one write: the command line and the message (framing rule 7)
          const buf = Buffer.concat([Buffer.from(`${command}\n`), message]);
          const n = writeSync(fd, buf);
          if (n !== buf.length) throw new CliError(`${ref.path}: ${command}: short write (${n} of ${buf.length} bytes)`);
        } catch (err) {
          if (err instanceof CliError) throw err;
          throw new CliError(`${ref.path}: ${command}: ${errText(err)}`);
        } finally {
          closeSync(fd);
        }
      })(),
    );

  mq.command('receive')
    .description('receive one message and write its bytes to stdout, or run CMD with it on stdin')
    .argument('<name>', NAME_FORMS)
    .argument('[cmd...]', 'after --: run CMD with the message on its stdin; acknowledged if CMD exits 0, back to the queue otherwise (implies --undo)')
    .option('--timeout <seconds>', 'POSIX: on an empty queue, give up after this long (exit 1, ETIMEDOUT)', secondsArg)
    .option('--type <n>', 'System V: msgtyp: 0 the first message (default), N the first of type N, -N the first of the lowest type <= N', integerArg)
    .option('--except', 'System V: with --type N > 0, the first message of any other type (MSG_EXCEPT)')
    .option('--noerror', 'System V: cut a message longer than --size instead of failing (MSG_NOERROR)')
    .option('--size <n>', 'System V: the longest message taken (default MSGMAX); longer is E2BIG and stays queued', nonNegative)
    .option('--nonblock', 'when nothing can be received, fail at once (exit 1: POSIX EAGAIN, System V ENOMSG)', false)
    .option('--undo', 'hold the message: it goes back to the queue when this command ends unless acknowledged', false)
    .option('--ack', 'with --undo (implied): acknowledge once stdout has all the bytes (and, for a file, is synced)', false)
    .option('--print-header', 'write the answer line "prio=P size=N [id=ID]" (System V: "type=T ...") to stdout before the message', false)
    .option('--print-prio', 'POSIX: the same as --print-header')
    .action((name: string, cmd: string[], o: ReceiveFlags) =>
      run(async () => {
        const ref = queueRef(mount(), name);
        refuseOtherKind(ref.kind, name, {
          posix: { '--timeout': o.timeout, '--print-prio': o.printPrio },
          sysv: { '--type': o.type, '--except': o.except, '--noerror': o.noerror, '--size': o.size },
        });
        await receive(ref, receiveCommand(ref, o), cmd, { ...o, printHeader: o.printHeader || o.printPrio === true });
      })(),
    );

  mq.command('get')
    .description('print the status (or one field of it)')
    .argument('<name>', NAME_FORMS)
    .option('--field <key>', 'only the value of the "KEY: value" line, e.g. curmsgs (System V: qnum)')
    .action((name: string, o: { field?: string }) =>
      run(() => {
        let text: string;
        try {
          text = readToEnd(queueRef(mount(), name).path);
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
    .description('mq_unlink (POSIX: the name goes at once, open files keep the queue) or IPC_RMID (System V)')
    .argument('<name>', NAME_FORMS)
    .action((name: string) =>
      run(() => {
        const ref = queueRef(mount(), name);
        try {
          unlinkSync(ref.path);
        } catch (err) {
          throw new CliError(`${ref.path}: ${ref.kind === 'posix' ? 'mq_unlink' : 'IPC_RMID'}: ${errText(err)}`);
        }
      })(),
    );
  return mq;
}
