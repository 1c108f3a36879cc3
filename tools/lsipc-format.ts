/**
 * How util-linux's lsipc writes one value: sizes (size_to_human_string with one-letter suffixes),
 * permissions (xstrmode without the type letter, or %#o), times (short, full, iso), USE%
 * (printf's %2.2f), and the --id detail lines. Pure functions, tested against the system's lsipc.
 */

const LETTERS = 'BKMGTPE';

/** util-linux's size_to_human_string(SIZE_SUFFIX_1LETTER): 0B, 5B, 4.9K, 8K, 16E. */
export function humanSize(value: bigint | number): string {
  const bytes = BigInt(value);
  let exp = 10;
  while (exp <= 60 && bytes >= 1n << BigInt(exp)) exp += 10;
  exp -= 10;
  const unit = LETTERS[exp / 10]!;
  let dec = exp ? bytes >> BigInt(exp) : bytes;
  let frac = exp ? bytes % (1n << BigInt(exp)) : 0n;
  if (frac) {
    // three digits after the point, as util-linux computes them (overflow-safe branch included)
    frac = frac >= 0xffffffffffffffffn / 1000n ? ((frac / 1024n) * 1000n) / (1n << BigInt(exp - 10)) : (frac * 1000n) / (1n << BigInt(exp));
    frac = ((frac + 50n) / 100n) * 10n;
    if (frac === 100n) {
      dec += 1n;
      frac = 0n;
    }
  }
  if (!frac) return `${dec}${unit}`;
  let s = `${dec}.${frac.toString().padStart(2, '0')}`;
  if (s.endsWith('0')) s = s.slice(0, -1);
  return s + unit;
}

/** PERMS: "rw-r-----" (xstrmode of mode & 0777, no type letter), or with -P "%#o": "0640", "0". */
export function perms(mode: number, numeric: boolean): string {
  const m = mode & 0o777;
  if (numeric) return m ? `0${m.toString(8)}` : '0';
  const bit = (b: number, c: string): string => (m & b ? c : '-');
  return [0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 0o4, 0o2, 0o1].map((b, i) => bit(b, 'rwx'[i % 3]!)).join('');
}

export type TimeMode = 'short' | 'full' | 'iso';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const two = (n: number): string => String(n).padStart(2, '0');

/** Local time as libc's localtime_r sees it (Node follows TZ as libc does). */
function local(epoch: number): Date {
  return new Date(epoch * 1000);
}

function dayOfYear(d: Date): number {
  return Math.round((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) / 86_400_000);
}

/**
 * A time as lsipc shows it: short (util-linux's strtime_short: "HH:MM" today, "Mon DD" glued
 * ("Nov24") this year, "YYYY-MonDD" before), full (asctime without its newline) or iso
 * ("2026-11-24T04:32:14+00:00").
 */
export function formatTime(epoch: number, mode: TimeMode, now: number): string {
  const t = local(epoch);
  switch (mode) {
    case 'full':
      return `${DAYS[t.getDay()]} ${MONTHS[t.getMonth()]} ${String(t.getDate()).padStart(2, ' ')} ${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())} ${t.getFullYear()}`;
    case 'iso': {
      const off = -t.getTimezoneOffset();
      const sign = off < 0 ? '-' : '+';
      return `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())}T${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}${sign}${two(Math.floor(Math.abs(off) / 60))}:${two(Math.abs(off) % 60)}`;
    }
    default: {
      const n = local(now);
      if (t.getFullYear() === n.getFullYear() && dayOfYear(t) === dayOfYear(n)) return `${two(t.getHours())}:${two(t.getMinutes())}`;
      const md = `${MONTHS[t.getMonth()]}${two(t.getDate())}`;
      return t.getFullYear() === n.getFullYear() ? md : `${t.getFullYear()}-${md}`;
    }
  }
}

/** USE%: printf("%2.2f%%", used / limit * 100), ties to even as glibc rounds the exact binary value. */
export function usePercent(used: bigint | number, limit: bigint | number): string {
  const x = (Number(used) / Number(limit)) * 100;
  if (!Number.isFinite(x)) return `${x === Infinity ? 'inf' : x === -Infinity ? '-inf' : '-nan'}%`;
  const scaled = x * 100;
  let s = x.toFixed(2);
  // toFixed rounds an exact tie up, glibc to even
  if (Number.isInteger(scaled * 2) && !Number.isInteger(scaled)) {
    const lower = Math.floor(scaled);
    s = ((lower % 2 === 0 ? lower : lower + 1) / 100).toFixed(2);
  }
  return `${s}%`;
}

/**
 * The --id detail view (lsipc's print_pretty): "Label:" then the value at column 37, padded to
 * 36 characters ("%s:%*c%-36s"); a column with no data is left out.
 */
export function prettyLines(fields: readonly (readonly [label: string, value: string | null])[]): string {
  return fields
    .filter(([, v]) => v !== null)
    .map(([label, v]) => `${label}:${' '.repeat(Math.max(1, 35 - label.length))}${v!.padEnd(36, ' ')}\n`)
    .join('');
}
