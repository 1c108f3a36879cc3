/** The framing rule (docs/protocol.md, "Framing: how writes become commands"), unit by unit. */
import test from 'ava';
import { ErrnoError } from '../../../ipc/errno.js';
import { COMMAND_MAX, CommandFramer, HELD_MAX, WHOLE_WRITE_MAX } from '../../../fs/tree/command-framing.js';

const b = (s: string): Buffer => Buffer.from(s);
const errno = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as ErrnoError).code;
  }
  return 'no error';
};

test('a write ending with a newline, or short without one, is a whole command', (t) => {
  const f = new CommandFramer();
  t.is(f.take(1, b('post\n'))?.toString(), 'post');
  t.is(f.take(1, b('post'))?.toString(), 'post');
  t.is(f.take(1, b('x'.repeat(WHOLE_WRITE_MAX - 1)))?.length, WHOLE_WRITE_MAX - 1);
  t.is(f.heldBytes, 0);
});

test('a long write without a newline is held until its writer\'s newline; writers never splice', (t) => {
  const f = new CommandFramer();
  const a = 'a'.repeat(WHOLE_WRITE_MAX);
  const c = 'c'.repeat(WHOLE_WRITE_MAX);
  t.is(f.take(1, b(a)), null);
  t.is(f.take(2, b(c)), null);
  t.is(f.heldBytes, 2 * WHOLE_WRITE_MAX);
  t.is(f.take(1, b('tail')), null, 'short, but a command is pending: held too');
  t.is(f.take(2, b('2\n'))?.toString(), `${c}2`);
  t.is(f.take(1, b('1\n'))?.toString(), `${a}tail1`);
  t.is(f.heldBytes, 0);
});

test('a newline before the end of a write is EINVAL and drops the writer\'s command', (t) => {
  const f = new CommandFramer();
  f.take(1, b('x'.repeat(WHOLE_WRITE_MAX)));
  t.is(errno(() => f.take(1, b('post\npost\n'))), 'EINVAL');
  t.is(f.heldBytes, 0);
  t.is(f.take(1, b('post\n'))?.toString(), 'post', 'the next command starts afresh');
});

test('past COMMAND_MAX: EMSGSIZE, and the writer\'s rest up to its newline fails too', (t) => {
  const f = new CommandFramer();
  const piece = b('x'.repeat(COMMAND_MAX / 4));
  for (let i = 0; i < 4; i++) t.is(f.take(1, piece), null);
  t.is(errno(() => f.take(1, b('\n'))), 'EMSGSIZE', 'COMMAND_MAX bytes plus the newline is one too many');
  t.is(f.take(1, b('post\n'))?.toString(), 'post');
  for (let i = 0; i < 4; i++) f.take(1, piece);
  t.is(errno(() => f.take(1, piece)), 'EMSGSIZE');
  t.is(f.heldBytes, 0, 'nothing held after the failure');
  t.is(errno(() => f.take(1, b('post'))), 'EMSGSIZE', 'a short piece of the failed command');
  t.is(errno(() => f.take(1, b('post\n'))), 'EMSGSIZE', 'its newline ends it');
  t.is(f.take(1, b('post\n'))?.toString(), 'post');
  t.is(errno(() => f.take(2, Buffer.alloc(COMMAND_MAX + 1, 0x20))), 'EMSGSIZE', 'one over-long write');
  t.is(errno(() => f.take(2, b('post\n'))), 'EMSGSIZE', 'its rest');
});

test('a handle holds at most HELD_MAX bytes: past it ENOBUFS for that writer; RELEASE drops everything', (t) => {
  const f = new CommandFramer();
  const piece = b('x'.repeat(COMMAND_MAX / 2));
  let tid = 1;
  while (f.heldBytes + piece.length <= HELD_MAX) t.is(f.take(tid++, piece), null);
  t.is(errno(() => f.take(tid, piece)), 'ENOBUFS');
  t.is(errno(() => f.take(tid, b('\n'))), 'ENOBUFS', 'the rest of the refused command');
  t.is(f.take(1, b('\n'))?.length, piece.length, 'others keep theirs');
  f.clear();
  t.is(f.heldBytes, 0);
  t.is(f.take(2, b('post\n'))?.toString(), 'post');
});
