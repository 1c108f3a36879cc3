/**
 * tools/ipc-args.ts's C number parsers against glibc itself: strtoul (bases 0, 8, 10) and
 * strtoimax (base 10), called through Python's ctypes at test time on edge cases and on seeded
 * random strings of the characters that matter (white space, signs, digits, x, letters). Value,
 * where parsing stopped and ERANGE must be glibc's. (ipcrm's keys and ids and ipcmk's modes are
 * these parsers; their messages are checked against util-linux in ipcrm.test.ts / ipcmk.test.ts.)
 */
import test from 'ava';
import { strtoimax, strtoul } from '../../tools/ipc-args.js';
import { prng } from '../helpers/prng.js';
import { python } from '../helpers/python.js';

const GLIBC = String.raw`
import ctypes, json, sys
libc = ctypes.CDLL(None, use_errno=True)
for name, restype in (('strtoul', ctypes.c_ulong), ('strtoimax', ctypes.c_longlong)):
    f = getattr(libc, name)
    f.restype = restype
    f.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
for s, fn, base in json.loads(sys.argv[1]):
    buf = ctypes.create_string_buffer(s.encode())
    end = ctypes.c_void_p()
    ctypes.set_errno(0)
    v = getattr(libc, fn)(buf, ctypes.byref(end), base)
    err = ctypes.get_errno()
    print(json.dumps([s + '|' + fn + '|' + str(base), [str(v), end.value - ctypes.addressof(buf), err == 34]]))
`;

const EDGES = ['', ' ', '0', '00', '08', '0x', '0X', '0x1f', '0XG', '-0x10', '+5', '-1', ' -1', '\t\n 7', '12ab', '1 ', '4294967296', '18446744073709551615', '18446744073709551616', '-18446744073709551615', '-18446744073709551616', '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '0777', '0778', '99999999999999999999999', '--1', '+-1', '0x7fffffff', '0xffffffffffffffff', '0x10000000000000000'];

function randomStrings(seed: number, n: number): string[] {
  const r = prng(seed);
  const alphabet = ' \t+-0000123456789789xXabfgK.';
  return Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(r() * 24) }, () => alphabet[Math.floor(r() * alphabet.length)]).join(''));
}

test('strtoul (bases 0, 8, 10) and strtoimax (base 10) give glibc\'s value, end and ERANGE', async (t) => {
  const seed = Date.now() >>> 0;
  t.log(`seed ${seed}`);
  const inputs = [...EDGES, ...randomStrings(seed, 300)];
  const cases: [string, string, number][] = [];
  for (const s of inputs) {
    for (const base of [0, 8, 10]) cases.push([s, 'strtoul', base]);
    cases.push([s, 'strtoimax', 10]);
  }
  const run = await python(GLIBC, [JSON.stringify(cases)]);
  t.is(run.code, 0, run.err);
  t.is(run.results.length, cases.length);
  const glibc = new Map(run.results);
  for (const [s, fn, base] of cases) {
    const n = fn === 'strtoul' ? strtoul(s, base) : strtoimax(s, base);
    // ctypes' c_ulong is unsigned; c_longlong signed: both as decimal strings
    t.deepEqual([n.value.toString(), n.end, n.erange], glibc.get(`${s}|${fn}|${base}`), `${fn}(${JSON.stringify(s)}, ${base})`);
  }
});
