import test from 'ava';
import { Opcode } from '../../../fs/fuse/abi.js';
import { Completion } from '../../../fs/fuse/completion.js';
import { Errno, FuseError } from '../../../fs/fuse/errno.js';
import type { FuseRequest } from '../../../fs/fuse/ops.js';
import type { WriteIn } from '../../../fs/fuse/requests.js';
import { body } from '../../helpers/kernel-requests.js';
import { startSession } from '../../helpers/synthetic-kernel.js';

test('listeners hear the outcome synchronously; the promise side settles as usual', async (t) => {
  const c = new Completion<number>();
  const heard: unknown[] = [];
  c.onSettled((o) => heard.push(o));
  const mapped = c.map((v) => v * 2);
  mapped.onSettled((o) => heard.push(o));
  c.resolve(21);
  t.deepEqual(heard, [{ ok: true, value: 21 }, { ok: true, value: 42 }]);
  c.resolve(99); // settles once
  t.is(await c, 21);
  t.is(await mapped, 42);
  const late: unknown[] = [];
  c.onSettled((o) => late.push(o));
  t.deepEqual(late, [{ ok: true, value: 21 }], 'a listener added after settling hears it at once');
  t.false(c.then(() => 0) instanceof Completion, 'then gives plain promises');
});

test('a rejection reaches listeners and await, and is never an unhandled rejection', async (t) => {
  let unhandled = 0;
  const onUnhandled = (): void => void unhandled++;
  process.on('unhandledRejection', onUnhandled);
  const c = new Completion<number>();
  const heard: unknown[] = [];
  c.map((v) => v + 1).onSettled((o) => heard.push(o.ok ? o.value : (o.error as FuseError).errno));
  c.reject(new FuseError(Errno.EINTR));
  t.deepEqual(heard, [Errno.EINTR]);
  const err = await t.throwsAsync(c);
  t.is((err as FuseError).errno, Errno.EINTR);
  await new Promise((r) => setImmediate(r));
  process.off('unhandledRejection', onUnhandled);
  t.is(unhandled, 0);
});

/**
 * The wake-up order: a post whose handler completes a blocked wait. The waiter's reply must be
 * written before the poster's, inside the same dispatch, as a C filesystem answering both from
 * one handler would; with a plain promise it went out after the poster's, microtasks later.
 */
test('a Completion settled inside another request is answered first, in the same dispatch', async (t) => {
  let blocked: Completion<void> | null = null;
  const write = (req: FuseRequest<WriteIn>): number | Completion<number> => {
    const cmd = req.args.data.toString();
    if (cmd === 'wait') {
      blocked = new Completion<void>();
      return blocked.map(() => req.args.data.length);
    }
    blocked?.resolve();
    return req.args.data.length;
  };
  const { kernel } = await startSession({ write });
  const waiter = kernel.send(Opcode.WRITE, 2, body.write(1, Buffer.from('wait')));
  t.false(kernel.replies.has(waiter));
  const poster = kernel.send(Opcode.WRITE, 2, body.write(1, Buffer.from('post')));
  // No await in between: both replies were written during the post's dispatch, waiter first.
  t.deepEqual([...kernel.replies.keys()].filter((u) => u === waiter || u === poster), [waiter, poster]);
  t.is(kernel.replies.get(waiter)!.error, 0);
  t.is(kernel.replies.get(waiter)!.body.readUInt32LE(0), 4);
  t.deepEqual(kernel.violations, []);
});

test('a Completion that rejects is answered with its errno', async (t) => {
  let blocked: Completion<number> | null = null;
  const { kernel } = await startSession({
    write: () => {
      blocked = new Completion<number>();
      return blocked;
    },
  });
  const u = kernel.send(Opcode.WRITE, 2, body.write(1, Buffer.from('wait')));
  blocked!.reject(new FuseError(Errno.EAGAIN));
  t.is(kernel.replies.get(u)?.error, -Errno.EAGAIN);
});
