/**
 * The printf conversions util-linux's ipcs uses, so that its columns come out byte for byte:
 * `%-10s`, `%-10.10s`, `%5d`, `0x%08x`, `%#o`, ctime(3) in local time, and lib/strutils.c's
 * size_to_human_string (the `--human` sizes).
 */

/** `%-Ws` (and `%-W.Ps` with max): left-aligned, padded to width, cut to max characters. */
export function left(s: string | number, width: number, max?: number): string {
  const text = max === undefined ? String(s) : String(s).slice(0, max);
  return text.padEnd(width);
}

/** `%Ws`: right-aligned, padded to width. */
export const right = (s: string | number, width: number): string => String(s).padStart(width);

/** `0x%08x` of a key: the signed 32-bit key as its unsigned bits. */
export const hexKey = (key: number): string => `0x${(key >>> 0).toString(16).padStart(8, '0')}`;

/** `%o` */
export const oct = (n: number): string => n.toString(8);

/** `%#o`: a leading 0 unless the value is 0. */
export const altOct = (n: number): string => (n === 0 ? '0' : `0${n.toString(8)}`);

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/**
 * ctime(3) of epoch seconds, in the local time zone (TZ), without its newline:
 * "Tue Nov 24 04:35:12 2026" ("%.3s %.3s%3d %.2d:%.2d:%.2d %d").
 */
export function ctime(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]}${String(d.getDate()).padStart(3)} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`;
}

/** util-linux's size units: the default (a view's own), bytes, kilobytes, human. */
export type SizeUnit = 'default' | 'bytes' | 'kb' | 'human';

/**
 * size_to_human_string(SIZE_SUFFIX_1LETTER, bytes): the largest binary unit below the size, one
 * decimal rounded half up from three truncated digits, a trailing zero dropped ("1.5K", "16E",
 * "100B", "16K").
 */
export function humanSize(bytes: bigint | number): string {
  const n = BigInt(bytes);
  let exp = 0;
  for (let shift = 10; shift <= 60; shift += 10) {
    if (n < 1n << BigInt(shift)) break;
    exp = shift;
  }
  const letter = 'BKMGTPE'[exp / 10]!;
  let dec = exp ? n >> BigInt(exp) : n;
  let frac = exp ? n & ((1n << BigInt(exp)) - 1n) : 0n;
  if (frac) {
    const U64_MAX = (1n << 64n) - 1n;
    // three digits after the point, as C's 64-bit arithmetic computes them
    frac = frac >= U64_MAX / 1000n ? ((frac / 1024n) * 1000n) / (1n << BigInt(exp - 10)) : (frac * 1000n) / (1n << BigInt(exp));
    frac = ((frac + 50n) / 100n) * 10n;
    if (frac === 100n) {
      dec++;
      frac = 0n;
    }
  }
  if (!frac) return `${dec}${letter}`;
  // "%d.%02d" with its trailing zero dropped (frac is a multiple of 10 here)
  return `${dec}.${frac / 10n}${letter}`;
}

/**
 * ipc_print_size(unit, label, size, end, width): `label (bytes) = `, `label (kbytes) = ` or
 * `label = ` (a label ending in `=` as is), then the size in the unit padded to width (negative:
 * left-aligned), then end.
 */
export function printSize(unit: SizeUnit, label: string | null, size: bigint | number, end: string | null, width: number): string {
  let out = '';
  if (label === null) out = '';
  else if (label.endsWith('=')) out = label;
  else if (unit === 'bytes') out = `${label} (bytes) = `;
  else if (unit === 'kb') out = `${label} (kbytes) = `;
  else out = `${label} = `;
  const n = BigInt(size);
  const text = unit === 'human' ? humanSize(n) : String(unit === 'kb' ? n / 1024n : n);
  out += width < 0 ? text.padEnd(-width) : text.padStart(width);
  return out + (end ?? '');
}
