/**
 * ipc/mqueue/registry.ts and limits.ts: mq_open's O_CREAT/O_EXCL rules, attribute checks (root up
 * to the hard maxima), queues_max (root passes), the creator's RLIMIT_MSGQUEUE bytes, the order of
 * those refusals, that a refusal changes nothing, and charges kept until unlinked and unused.
 */
import test from 'ava';
import { Errno } from '../../../ipc/errno.js';
import { defaultAttr, HARD_MSGMAX, HARD_MSGSIZEMAX, LINUX_MQ_LIMITS, MQ_BYTES_MAX, mqBytes, mqQuotaFor, type MqLimits } from '../../../ipc/mqueue/limits.js';
import { MqRegistry, O_CREAT, O_EXCL } from '../../../ipc/mqueue/registry.js';
import { thrown, refusal } from '../../helpers/errno.js';

const alice = { uid: 1000, gid: 1000 };
const bob = { uid: 1001, gid: 1001 };
const root = { uid: 0, gid: 0 };

function registry(l: Partial<MqLimits> = {}, bytes = { uidMqBytes: MQ_BYTES_MAX, mqBytes: Infinity }): MqRegistry {
  const limits = { ...LINUX_MQ_LIMITS, ...l };
  return new MqRegistry(limits, mqQuotaFor({ ...limits, ...bytes }), () => 1);
}

test('open: ENOENT without O_CREAT; O_CREAT makes it with the default attributes (min of default and max); O_EXCL: EEXIST', (t) => {
  const r = registry({ msgDefault: 20, msgMax: 10, msgsizeDefault: 100, msgsizeMax: 8192 });
  t.is(thrown(() => r.open('/q', 0, 0o600, null, alice)).code, 'ENOENT');
  const { entry, created } = r.open('/q', O_CREAT, 0o640, null, alice);
  t.true(created);
  t.deepEqual([entry.queue.maxmsg, entry.queue.msgsize], [10, 100]);
  t.deepEqual([entry.uid, entry.gid, entry.mode, entry.users], [1000, 1000, 0o640, 1]);
  t.is(thrown(() => r.open('/q', O_CREAT | O_EXCL, 0o600, null, bob)).code, 'EEXIST');
  const again = r.open('/q', O_CREAT, 0o600, { maxmsg: -5, msgsize: 0 }, bob);
  t.is(again.entry, entry, 'an existing queue: attributes are not looked at (Linux checks them only to create)');
  t.false(again.created);
  t.is(entry.users, 2);
  t.is(r.open('/q', 0, 0, null, bob).entry, entry);
  t.deepEqual(defaultAttr(LINUX_MQ_LIMITS), { maxmsg: 10, msgsize: 8192 });
});

test('attributes: EINVAL for non-positive or non-integer values and past msg_max/msgsize_max; root up to the hard maxima', (t) => {
  const r = registry();
  for (const a of [
    { maxmsg: 0, msgsize: 1 },
    { maxmsg: 1, msgsize: 0 },
    { maxmsg: -1, msgsize: 1 },
    { maxmsg: 1.5, msgsize: 1 },
    { maxmsg: 11, msgsize: 1 },
    { maxmsg: 1, msgsize: 8193 },
  ]) {
    t.is(thrown(() => r.open('/a', O_CREAT, 0o600, a, alice)).code, 'EINVAL', JSON.stringify(a));
  }
  t.is(r.size, 0);
  t.is(r.quota.used('mqQueues'), 0);
  r.open('/a', O_CREAT, 0o600, { maxmsg: 10, msgsize: 8192 }, alice);
  const big = r.open('/root-big', O_CREAT, 0o600, { maxmsg: HARD_MSGMAX, msgsize: HARD_MSGSIZEMAX }, root);
  t.is(big.entry.queue.maxmsg, HARD_MSGMAX, 'root passes msg_max (CAP_SYS_RESOURCE)');
  t.is(thrown(() => r.open('/r2', O_CREAT, 0o600, { maxmsg: HARD_MSGMAX + 1, msgsize: 1 }, root)).code, 'EINVAL');
  t.is(thrown(() => r.open('/r2', O_CREAT, 0o600, { maxmsg: 1, msgsize: HARD_MSGSIZEMAX + 1 }, root)).code, 'EINVAL');
});

test('queues_max: ENOSPC for others once reached, counting root\'s queues; root passes it', (t) => {
  const r = registry({ queuesMax: 2 });
  const rq = r.open('/r', O_CREAT, 0o600, null, root).entry;
  const aq = r.open('/a', O_CREAT, 0o600, null, alice).entry;
  t.is(thrown(() => r.open('/b', O_CREAT, 0o600, null, bob)).code, 'ENOSPC');
  const rq2 = r.open('/r2', O_CREAT, 0o600, null, root).entry;
  t.is(r.quota.used('mqQueues'), 3);
  t.is(thrown(() => r.open('/b', O_CREAT, 0o600, { maxmsg: 0, msgsize: 1 }, bob)).code, 'EINVAL', 'attributes are checked first');
  r.unlink('/a');
  r.close(aq);
  t.is(thrown(() => r.open('/b', O_CREAT, 0o600, null, bob)).code, 'ENOSPC', "root's two queues fill queues_max for the others");
  r.unlink('/r');
  r.close(rq);
  t.true(r.open('/b', O_CREAT, 0o600, null, bob).created);
  void rq2;
});

test('RLIMIT_MSGQUEUE: the creator\'s mq_bytes; EMFILE past it, after ENOSPC; root exempt; refusal changes nothing', (t) => {
  const one = mqBytes({ maxmsg: 10, msgsize: 8192 });
  t.is(one, 10 * 8192 + 10 * 48 + 10 * 48);
  const r = registry({ queuesMax: 100 });
  for (let i = 0; i < Math.floor(MQ_BYTES_MAX / one); i++) r.open(`/q${i}`, O_CREAT, 0o600, null, alice);
  const used = r.quota.used('mqBytes');
  t.is(thrown(() => r.open('/over', O_CREAT, 0o600, null, alice)).code, 'EMFILE');
  t.is(r.quota.used('mqBytes'), used);
  t.is(r.quota.used('mqQueues'), Math.floor(MQ_BYTES_MAX / one));
  t.is(r.lookup('/over'), undefined);
  t.true(r.open('/small', O_CREAT, 0o600, { maxmsg: 1, msgsize: 1 }, alice).created, 'a smaller queue still fits');
  t.true(r.open('/bob', O_CREAT, 0o600, null, bob).created, 'per user');
  t.true(r.open('/root', O_CREAT, 0o600, { maxmsg: 65536, msgsize: 65536 }, root).created, 'root is exempt');
  const tight = registry({ queuesMax: 1 }, { uidMqBytes: 1, mqBytes: Infinity });
  tight.open('/x', O_CREAT, 0o600, null, root);
  t.is(thrown(() => tight.open('/y', O_CREAT, 0o600, null, alice)).code, 'ENOSPC', 'queues_max before the bytes');
});

test('mq-bytes (the daemon\'s global bound): ENOMEM for everyone, root included', (t) => {
  const r = registry({}, { uidMqBytes: MQ_BYTES_MAX, mqBytes: mqBytes({ maxmsg: 10, msgsize: 8192 }) });
  r.open('/a', O_CREAT, 0o600, null, alice);
  t.is(thrown(() => r.open('/b', O_CREAT, 0o600, { maxmsg: 1, msgsize: 1 }, root)).errno, Errno.ENOMEM);
});

test('unlink: the name goes at once, users keep the queue, the charge comes back when the last lets go; the name can be reused', (t) => {
  const r = registry({ queuesMax: 1 });
  const a = r.open('/q', O_CREAT, 0o600, null, alice).entry;
  r.hold(a);
  t.is(a.users, 2);
  a.queue.send(Buffer.from('kept'), 0, 1, true, () => {});
  t.is(r.unlink('/q'), a);
  t.true(a.unlinked);
  t.is(r.lookup('/q'), undefined);
  t.is(thrown(() => r.unlink('/q')).code, 'ENOENT');
  t.is(thrown(() => r.open('/q', 0, 0, null, alice)).code, 'ENOENT');
  t.is(thrown(() => r.open('/q', O_CREAT, 0o600, null, bob)).code, 'ENOSPC', 'the unlinked queue still counts against queues_max');
  t.is(a.queue.curmsgs, 1, 'its users still use it');
  r.close(a);
  t.true(a.charge.live);
  r.close(a);
  t.false(a.charge.live, 'unlinked and unused: charge given back');
  t.is(r.quota.used('mqQueues'), 0);
  t.is(r.quota.used('mqBytes'), 0);
  t.is(r.quota.used('objects'), 0);
  r.close(a);
  t.is(a.users, 0, 'a close too many does nothing');
  const b = r.open('/q', O_CREAT, 0o600, null, bob).entry;
  t.not(b, a);
  t.is(b.queue.curmsgs, 0);
  r.close(b);
  t.is(r.lookup('/q'), b, 'a linked queue lives on with no users');
  t.true(b.charge.live);
});

test('the refusals\' messages name the queue, the attributes and the limit that was passed', (t) => {
  const r = registry({ queuesMax: 1 });
  t.deepEqual(refusal(() => r.open('/m', 0, 0o600, null, alice)), ['ENOENT', 'no queue /m']);
  t.deepEqual(refusal(() => r.unlink('/m')), ['ENOENT', 'no queue /m']);
  t.deepEqual(refusal(() => r.open('/m', O_CREAT, 0o600, { maxmsg: 0, msgsize: 2.5 }, alice)),
    ['EINVAL', 'mq_open: maxmsg (0) and msgsize (2.5) must be positive integers']);
  t.deepEqual(refusal(() => r.open('/m', O_CREAT, 0o600, { maxmsg: 11, msgsize: 1 }, alice)),
    ['EINVAL', 'mq_open: maxmsg 11 / msgsize 1 above the msg_max/msgsize_max (10 / 8192)']);
  t.deepEqual(refusal(() => r.open('/m', O_CREAT, 0o600, { maxmsg: 1, msgsize: HARD_MSGSIZEMAX + 1 }, root)),
    ['EINVAL', `mq_open: maxmsg 1 / msgsize ${HARD_MSGSIZEMAX + 1} above the hard maxima (${HARD_MSGMAX} / ${HARD_MSGSIZEMAX})`]);
  r.open('/m', O_CREAT, 0o600, null, alice);
  t.deepEqual(refusal(() => r.open('/m', O_CREAT | O_EXCL, 0o600, null, alice)), ['EEXIST', 'queue /m exists']);
  t.deepEqual(refusal(() => r.open('/n', O_CREAT, 0o600, null, alice)), ['ENOSPC', 'mq_open: queues_max (1) reached']);
  const small = registry({}, { uidMqBytes: 10, mqBytes: Infinity });
  t.deepEqual(refusal(() => small.open('/b', O_CREAT, 0o600, null, alice)),
    ['EMFILE', 'mq_open: RLIMIT_MSGQUEUE (message queue bytes) limit per user (10) reached for uid 1000']);
});

test('mode keeps the permission bits and the set-id/sticky bits, nothing above; hold and close count users; close at 0 does nothing', (t) => {
  const r = registry();
  const { entry } = r.open('/x', O_CREAT, 0o177777, null, alice);
  t.is(entry.mode, 0o7777);
  r.hold(entry);
  t.is(entry.users, 2);
  r.close(entry);
  r.close(entry);
  r.close(entry);
  t.is(entry.users, 0, 'never below 0');
  t.is(r.quota.used('mqQueues'), 1, 'still linked: still charged');
  r.unlink('/x');
  t.is(r.quota.used('mqQueues'), 0);
  t.true(entry.unlinked);
  t.deepEqual([...r.values()], []);
});

test('a non-integer msgsize alone is EINVAL', (t) => {
  const r = registry();
  t.is(thrown(() => r.open('/f', O_CREAT, 0o600, { maxmsg: 1, msgsize: 2.5 }, alice)).code, 'EINVAL');
  t.is(thrown(() => r.open('/f', O_CREAT, 0o600, { maxmsg: 1, msgsize: Number.MAX_SAFE_INTEGER + 2 }, root)).code, 'EINVAL');
});
