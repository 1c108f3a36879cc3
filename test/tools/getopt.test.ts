/**
 * tools/getopt.ts against glibc's getopt_long itself, asked at run time through util-linux's
 * getopt(1) (`getopt -o SHORT -l LONG -n PROG -- ARGS` runs getopt_long and prints what it parsed,
 * or glibc's error lines): the same options, arguments, operands and messages for the same command
 * lines, including random ones.
 */
import test from 'ava';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { GetoptError, getopt, getoptInOrder, usageFailure, type LongOption } from '../../tools/getopt.js';

const SHORT = 'hVi:sqmac::';
const LONG: LongOption[] = [
  { name: 'help', hasArg: 'none', key: 'h' },
  { name: 'version', hasArg: 'none', key: 'V' },
  { name: 'id', hasArg: 'required', key: 'i' },
  { name: 'semaphores', hasArg: 'none', key: 's' },
  { name: 'shmems', hasArg: 'none', key: 'm' },
  { name: 'summary', hasArg: 'none', key: 'u' },
  { name: 'queues', hasArg: 'none', key: 'q' },
  { name: 'color', hasArg: 'optional', key: 'c' },
  { name: 'time-format', hasArg: 'required', key: 'time-format' },
];

/** util-linux getopt's -l syntax: name, name: (required), name:: (optional) */
const longSpec = LONG.map((o) => o.name + (o.hasArg === 'required' ? ':' : o.hasArg === 'optional' ? '::' : '')).join(',');

interface Outcome {
  ok: boolean;
  /** options as getopt(1) prints them, then the operands after -- */
  words?: string[];
  errors?: string[];
}

/** getopt(1)'s answer. It prints each option by its own name (-i, --id): mapped to our keys. */
function oracle(args: string[], env: NodeJS.ProcessEnv = {}): Outcome {
  const r = spawnSync('getopt', ['-o', SHORT, '-l', longSpec, '-n', 'ipcs', '--', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  if (r.status !== 0) return { ok: false, errors: r.stderr.trim().split('\n') };
  // output: " -i '5' --id '7' -s -- 'a b'" with shell quoting; parsed back by sh
  // one word per line (no test word holds a newline)
  const p = spawnSync('sh', ['-c', 'eval "set -- $WORDS"; for a do printf \'%s\\n\' "$a"; done'], { encoding: 'utf8', env: { WORDS: r.stdout } });
  return { ok: true, words: p.stdout.split('\n').slice(0, -1) };
}

function hasArg(key: string): string {
  if (key.length > 1) return LONG.find((l) => l.key === key)!.hasArg;
  const i = SHORT.indexOf(key);
  return SHORT[i + 1] !== ':' ? 'none' : SHORT[i + 2] === ':' ? 'optional' : 'required';
}

function ours(args: string[], env: NodeJS.ProcessEnv = {}): Outcome {
  try {
    const { options, operands } = getopt('ipcs', args, SHORT, LONG, env);
    const words: string[] = [];
    for (const o of options) {
      words.push(o.key.length === 1 ? `-${o.key}` : `--${o.key}`);
      // getopt(1) prints the argument of every option that takes one ('' for an optional one absent)
      if (hasArg(o.key) !== 'none') words.push(o.arg ?? '');
    }
    return { ok: true, words: [...words, '--', ...operands] };
  } catch (err) {
    if (!(err instanceof GetoptError)) throw err;
    return { ok: false, errors: [err.message] };
  }
}

/** getopt(1) names a long option by its long name; we name it by its key: the same option. */
function normalize(o: Outcome): Outcome {
  if (!o.words) return o;
  const words: string[] = [];
  for (let i = 0; i < o.words.length; i++) {
    const w = o.words[i]!;
    if (w === '--') {
      words.push(...o.words.slice(i));
      break;
    }
    const long = w.startsWith('--') ? LONG.find((l) => `--${l.name}` === w) : undefined;
    words.push(long ? (long.key.length === 1 ? `-${long.key}` : `--${long.key}`) : w);
    // an option's argument follows it as one word ('' for an absent optional one), whatever it
    // looks like: `--id --` is the argument "--", not the end of the options
    const key = long ? long.key : /^-[^-]$/.test(w) ? w[1]! : undefined;
    if (key !== undefined && hasArg(key) !== 'none' && i + 1 < o.words.length) words.push(o.words[++i]!);
  }
  return { ...o, words };
}

const cases: [string, string[]][] = [
  ['a cluster and an attached argument', ['-sq', '-i5']],
  ['an argument in the next word', ['-i', '5', 'x']],
  ['an argument that looks like an option', ['-i', '-s']],
  ['operands are permuted after the options', ['x', '-s', 'y', '--queues']],
  ['-- ends the options', ['-s', '--', '-q', 'x']],
  ['- alone is an operand', ['-', '-s']],
  ['a long option with = and with the next word', ['--id=7', '--id', '8']],
  ['a unique prefix', ['--sem', '--qu', '--time=iso']],
  ['an optional argument only attached', ['-c', 'x', '-cy', '--color', '--color=z']],
  ['an empty attached long argument', ['--id=']],
  ['an unknown short option', ['-s', '-x']],
  ['a colon is no option', ['-s:']],
  ['a word of several letters is an operand', ['ab', '-s']],
  ['an unknown long option, its value quoted too', ['--foo=bar']],
  ['an ambiguous prefix', ['--s']],
  ['an ambiguous prefix with a value', ['--s=1']],
  ['a value to an option that takes none', ['--semaphores=1']],
  ['a value to an option that takes none, through a prefix', ['--sema=1']],
  ['a missing short argument', ['-s', '-i']],
  ['a missing long argument', ['--id']],
  ['a missing long argument through a prefix', ['--i']],
  ['-- as an option\'s argument does not end the options', ['--id', '--', '--color', '-i', '--', '-s']],
];

for (const [title, args] of cases) {
  test(`as glibc: ${title} (${args.join(' ')})`, (t) => {
    t.deepEqual(normalize(ours(args)), normalize(oracle(args)));
  });
}

test('as glibc: POSIXLY_CORRECT stops at the first operand', (t) => {
  const args = ['-s', 'x', '-q'];
  const env = { POSIXLY_CORRECT: '1' };
  t.deepEqual(normalize(ours(args, env)), normalize(oracle(args, env)));
  t.deepEqual(ours(args, env).words, ['-s', '--', 'x', '-q']);
});

test('glibc: a prefix of two names that mean the same option is not ambiguous (getopt(1) cannot say: its options never share a value)', (t) => {
  const longs: LongOption[] = [
    { name: 'shmems', hasArg: 'none', key: 'm' },
    { name: 'shared', hasArg: 'none', key: 'm' },
    { name: 'summary', hasArg: 'none', key: 'u' },
  ];
  t.deepEqual(getopt('p', ['--sh'], 'mu', longs).options, [{ key: 'm' }]);
  // the same result but another argument rule: two options
  const differing: LongOption[] = [
    { name: 'shmems', hasArg: 'none', key: 'm' },
    { name: 'shared', hasArg: 'required', key: 'm' },
  ];
  t.throws(() => getopt('p', ['--sh'], 'm', differing), { instanceOf: GetoptError, message: "p: option '--sh' is ambiguous; possibilities: '--shmems' '--shared'" });
  t.throws(() => getopt('p', ['--s'], 'mu', longs), { instanceOf: GetoptError, message: "p: option '--s' is ambiguous; possibilities: '--shmems' '--shared' '--summary'" });
});

test('a + in the short options stops at the first operand as well', (t) => {
  t.deepEqual(getopt('p', ['-s', 'x', '-q'], '+sq').operands, ['x', '-q']);
});

test('property: any command line of these options parses as glibc parses it', (t) => {
  const word = fc.oneof(
    fc.constantFrom('-s', '-q', '-m', '-a', '-h', '-V', '-i', '-i5', '-sq', '-si', '-c', '-cx', '-x', '-', '--', 'x', '5', ''),
    fc.constantFrom('--id', '--id=3', '--sem', '--sh', '--s', '--summary', '--queues=1', '--color', '--color=1', '--time-format', '--time=full', '--nope', '--h'),
  );
  fc.assert(
    fc.property(fc.array(word, { maxLength: 6 }), (args) => {
      const a = normalize(ours(args));
      const b = normalize(oracle(args));
      // glibc reports the first error only once getopt_long reaches it; getopt(1) prints every
      // error it meets and goes on: the first line is the one a util-linux tool prints
      if (!a.ok || !b.ok) return a.ok === b.ok && a.errors![0] === b.errors![0];
      return JSON.stringify(a.words) === JSON.stringify(b.words);
    }),
    { numRuns: 150 },
  );
  t.pass();
});

test('a refusal carries the options getopt_long returned before it, those of its own cluster included', (t) => {
  const err = t.throws(() => getopt('p', ['-s', '--queues', '-qmx', '-a'], SHORT, LONG), { instanceOf: GetoptError });
  t.is(err.message, "p: invalid option -- 'x'");
  t.deepEqual(err.before, [{ key: 's' }, { key: 'q' }, { key: 'q' }, { key: 'm' }]);
  const missing = t.throws(() => getopt('p', ['-i', '3', '--id'], SHORT, LONG), { instanceOf: GetoptError });
  t.deepEqual(missing.before, [{ key: 'i', arg: '3' }]);
});

test('getoptInOrder: the options before a refusal, and the refusal to report after acting on them', (t) => {
  const r = getoptInOrder('p', ['-s', '-x', '-q'], SHORT, LONG);
  t.deepEqual(r.options, [{ key: 's' }]);
  t.is(r.error?.message, "p: invalid option -- 'x'");
  const ok = getoptInOrder('p', ['-s', 'x'], SHORT, LONG);
  t.deepEqual([ok.options, ok.operands, ok.error], [[{ key: 's' }], ['x'], undefined]);
});

test('an exact long name wins over the longer names it is a prefix of (lsipc: --time and --time-format)', (t) => {
  const longs: LongOption[] = [
    { name: 'time', hasArg: 'none', key: 't' },
    { name: 'time-format', hasArg: 'required', key: 'time-format' },
  ];
  t.deepEqual(getopt('p', ['--time'], 't', longs).options, [{ key: 't' }]);
  t.deepEqual(getopt('p', ['--time-f', 'iso'], 't', longs).options, [{ key: 'time-format', arg: 'iso' }]);
  t.throws(() => getopt('p', ['--tim'], 't', longs), { instanceOf: GetoptError, message: "p: option '--tim' is ambiguous; possibilities: '--time' '--time-format'" });
});

test('without long options every --word is unrecognized; a refusal through getoptInOrder has no operands', (t) => {
  t.throws(() => getopt('p', ['--x'], 's'), { instanceOf: GetoptError, message: "p: unrecognized option '--x'" });
  const r = getoptInOrder('p', ['a', '-s', '-y', 'b'], 's');
  t.deepEqual([r.options, r.operands], [[{ key: 's' }], []]);
});

test('usageFailure writes glibc\'s line, then util-linux\'s "Try" line, and returns 1', (t) => {
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as unknown as typeof process.stderr.write;
  try {
    let err: GetoptError | undefined;
    try {
      getopt('ipcs', ['-x'], 's');
    } catch (e) {
      err = e as GetoptError;
    }
    t.is(usageFailure('ipcs', err!), 1);
    t.is(usageFailure('ipcs', 'unknown argument: shm'), 1);
  } finally {
    process.stderr.write = write;
  }
  t.deepEqual(written, [
    "ipcs: invalid option -- 'x'\nTry 'ipcs --help' for more information.\n",
    "ipcs: unknown argument: shm\nTry 'ipcs --help' for more information.\n",
  ]);
});
