/** Status texts read as a stream: the cursor rules, bounded reads, escaping; the semaphore status in pieces. */
import test from 'ava';
import fc from 'fast-check';
import { SemSet } from '../../../ipc/semaphores/sem-set.js';
import { UndoHolder } from '../../../ipc/semaphores/undo.js';
import { semStatus, semStatusPieces } from '../../../fs/semaphores/status.js';
import { MAX_READ_BYTES, StreamedText, escapeWord, wholeText } from '../../../fs/tree/text-file.js';

function readAll(text: StreamedText, size: number): string {
  const parts: Buffer[] = [];
  for (;;) {
    const b = text.read(size);
    if (b.length === 0) return Buffer.concat(parts).toString();
    parts.push(b);
  }
}

test('reads continue the text; end of file stays end of file until invalidate (a write) starts it afresh', (t) => {
  let n = 0;
  const text = new StreamedText(wholeText(() => `answer ${++n}\n`));
  t.is(text.read(3).toString(), 'ans');
  t.is(text.read(100).toString(), 'wer 1\n');
  t.is(text.read(100).length, 0, 'end of file');
  t.is(text.read(100).length, 0, 'still end of file: a reader that reads on after a short read stops');
  t.is(n, 1, 'the text was made once');
  text.invalidate();
  t.is(text.read(2).toString(), 'an');
  text.invalidate();
  t.is(readAll(text, 1), 'answer 3\n', 'after a write: a fresh text from its start, byte by byte');
  t.is(text.read(100).length, 0);
});

test('one read returns at most MAX_READ_BYTES', (t) => {
  const text = new StreamedText(function* () {
    for (let i = 0; i < 10000; i++) yield 'x'.repeat(99) + '\n';
  });
  t.is(text.read(1 << 20).length, MAX_READ_BYTES);
  t.is(readAll(text, 1 << 20).length, 1_000_000 - MAX_READ_BYTES);
});

test('escapeWord: a value cannot end the line or split into fields', (t) => {
  t.is(escapeWord('make'), 'make');
  t.is(escapeWord('x\nundo: pid=1'), 'x\\nundo:\\x20pid=1');
  t.is(escapeWord('a\\b\t\x00\xff'), 'a\\\\b\\t\\x00\\xff');
});

test('property: the semaphore status read in any read sizes is the whole text', (t) => {
  const set = new SemSet({ nsems: 700, max: 32767, overflowErrno: 34, maxAdj: 32767, maxOps: 500 });
  const holders = [new UndoHolder(11, 'a b'), new UndoHolder(12, 'x\ny'), new UndoHolder(13, 'c')];
  holders.forEach((h, i) => set.semop([{ num: 3 * i, op: 1, undo: true }, { num: 600 + i, op: 2, undo: true }], h.pid, h, () => {}));
  for (let i = 0; i < 50; i++) set.semop([{ num: i * 7, op: -5 }], 99, null, () => {});
  set.semop([{ num: 5, op: 0 }, { num: 0, op: -9 }], 98, null, () => {});
  const subject = { label: ['semid', '7'] as const, set, perm: { uid: 1, gid: 2, cuid: 3, cgid: 4, mode: 0o640 }, key: 0x162e };
  const whole = semStatus(subject);
  t.regex(whole, /^semid: 7\nowner: 1\nperms: 640\nnsems: 700\nvalue: 1 0 0 1 0 0 1 /);
  t.regex(whole, /^ncnt: 51$/m);
  t.regex(whole, /^zcnt: 0$/m);
  t.regex(whole, /^undo: pid=12 comm=x\\ny sem=3 adj=-1$/m);
  t.is(whole.split('\n').filter((l) => l.startsWith('undo:')).length, 6);
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 20 }), (sizes) => {
    const text = new StreamedText((scope) => semStatusPieces(subject, scope));
    const parts: Buffer[] = [];
    for (let i = 0; ; i++) {
      const b = text.read(sizes[i % sizes.length]!);
      if (!b.length) break;
      parts.push(b);
    }
    return Buffer.concat(parts).toString() === whole;
  }), { numRuns: 50 });
});

test('an undo holder released between two reads: the lines go on with the next holder', (t) => {
  const set = new SemSet({ nsems: 2, max: 32767, overflowErrno: 34, maxAdj: 32767, maxOps: 500 });
  const hs = [1, 2, 3].map((pid) => new UndoHolder(pid, `p${pid}`));
  for (const h of hs) set.semop([{ num: 0, op: 1, undo: true }, { num: 1, op: 1, undo: true }], h.pid, h, () => {});
  const subject = { label: ['semid', '1'] as const, set, perm: { uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600 } };
  const whole = semStatus(subject);
  const undoStart = whole.indexOf('undo:');
  const text = new StreamedText((scope) => semStatusPieces(subject, scope));
  const head = text.read(undoStart + 1).toString(); // up to the first undo line's first byte
  hs[0]!.release();
  const rest = readAll(text, 4096);
  const undo = (head + rest).split('\n').filter((l) => l.startsWith('undo:') || l.startsWith('u'));
  t.true(undo.every((l) => /^undo: pid=\d comm=p\d sem=\d adj=-1$/.test(l)), undo.join('\n'));
  t.true(undo.some((l) => l.startsWith('undo: pid=3 ')), 'the holders after the released one are listed');
});
