/**
 * `ipcfs top`'s frame as plain text: rows and rates in, exactly `height` lines of at most `width`
 * characters out (no escape codes: tools/top-term.ts draws them). Pure, so that what the view
 * shows at 80x24 is tested with plain calls.
 */
import { KINDS, rowKey, type Kind, type TopRow } from './top-model.js';

/** Sort orders `s` cycles through; ops and wait put the busiest first. */
export const SORTS = ['kind', 'ops', 'wait', 'id', 'owner'] as const;
export type SortKey = (typeof SORTS)[number];
export const isSort = (s: string): s is SortKey => (SORTS as readonly string[]).includes(s);

export interface View {
  mount: string;
  /** refresh interval in seconds */
  delay: number;
  sort: SortKey;
  kinds: ReadonlySet<Kind>;
  /** the wall-clock time of the reading, as shown (HH:MM:SS) */
  clock: string;
  /** why the last reading failed, shown in place of the key help */
  error?: string;
}

/** Holder lines shown under one object; the rest are counted in one more line. */
const HOLDER_LINES = 3;

interface Column {
  title: string;
  width: number;
  right?: boolean;
  cell: (r: TopRow, rate: number | undefined) => string;
}

const key = (k: number | null): string => (k === null ? '-' : `0x${(k >>> 0).toString(16).padStart(8, '0')}`);

export function formatRate(rate: number | undefined): string {
  if (rate === undefined) return '-';
  if (rate === 0) return '0';
  return rate < 100 ? rate.toFixed(1) : String(Math.round(rate));
}

/** A column's text cut to width; a cut is marked with '+' in its last place, as top does. */
export function fit(text: string, width: number, right = false): string {
  if (width <= 0) return '';
  if (text.length > width) return width === 1 ? '+' : `${text.slice(0, width - 1)}+`;
  return right ? text.padStart(width) : text.padEnd(width);
}

/**
 * The columns for a terminal `width` wide: at 80 the value gets what is left (21); a wider
 * terminal gives its extra room to the value and to long POSIX names.
 */
function columns(width: number): Column[] {
  const fixed: Column[] = [
    { title: 'KIND', width: 4, cell: (r) => r.kind },
    { title: 'ID', width: 14, cell: (r) => r.id },
    { title: 'KEY', width: 10, cell: (r) => key(r.key) },
    { title: 'OWNER', width: 8, cell: (r) => r.owner },
    { title: 'PERM', width: 4, right: true, cell: (r) => r.perms.toString(8).padStart(3, '0') },
    { title: 'WAIT', width: 4, right: true, cell: (r) => String(r.waiters) },
    { title: 'OPS/S', width: 7, right: true, cell: (_r, rate) => formatRate(rate) },
  ];
  const used = fixed.reduce((n, c) => n + c.width + 1, 0);
  const spare = Math.max(0, width - used);
  // past 80 columns, a third of the extra goes to the names (up to 40 wide)
  const extraId = Math.min(26, Math.floor(Math.max(0, width - 80) / 3));
  fixed[1]!.width += extraId;
  return [...fixed, { title: 'VALUE', width: Math.max(1, spare - extraId), cell: (r) => r.value }];
}

const line = (cols: Column[], cells: string[], width: number): string =>
  cols
    .map((c, i) => fit(cells[i]!, c.width, c.right))
    .join(' ')
    .trimEnd()
    .slice(0, width);

/** Numeric ids in numeric order, names in code-point order. */
function compareIds(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

const byKindThenId = (a: TopRow, b: TopRow): number => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) || compareIds(a.id, b.id);

/** The rows the view shows, in its order: filtered by kind, sorted, ties by kind then id. */
export function arrange(rows: readonly TopRow[], rates: ReadonlyMap<string, number>, sort: SortKey, kinds: ReadonlySet<Kind>): TopRow[] {
  const rate = (r: TopRow): number => rates.get(rowKey(r)) ?? -1;
  const order: Record<SortKey, (a: TopRow, b: TopRow) => number> = {
    kind: () => 0,
    ops: (a, b) => rate(b) - rate(a),
    wait: (a, b) => b.waiters - a.waiters,
    id: (a, b) => compareIds(a.id, b.id),
    owner: (a, b) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0),
  };
  return rows.filter((r) => kinds.has(r.kind)).sort((a, b) => order[sort](a, b) || byKindThenId(a, b));
}

export function kindsLabel(kinds: ReadonlySet<Kind>): string {
  return kinds.size === KINDS.length ? 'all' : KINDS.filter((k) => kinds.has(k)).join(',');
}

/** The frame: header (3 lines), column titles, then objects with their holders, to height lines. */
export function renderFrame(view: View, rows: readonly TopRow[], rates: ReadonlyMap<string, number>, width: number, height: number): string[] {
  const cols = columns(width);
  const counts = KINDS.map((k) => `${k} ${rows.filter((r) => r.kind === k).length}`).join('  ');
  const total = [...rates.values()].reduce((a, b) => a + b, 0);
  const shown = arrange(rows, rates, view.sort, view.kinds);
  const head = [
    // the mount last: a long path is what the width cuts
    `ipcfs top - ${view.clock} - every ${view.delay}s - sort ${view.sort} - kind ${kindsLabel(view.kinds)} - ${view.mount}`,
    `${counts}  | ${formatRate(rates.size ? total : undefined)} ops/s`,
    view.error ? `! ${view.error}` : 'q quit  s sort  k kind  + slower  - faster',
    line(
      cols,
      cols.map((c) => c.title),
      width,
    ),
  ].map((l) => l.slice(0, width));
  const holderText = (h: TopRow['holders'][number]): string => `${h.pid} ${h.comm}: ${h.what}`;
  const blocks = shown.map((r) => {
    const lines = [line(cols, cols.map((c) => c.cell(r, rates.get(rowKey(r)))), width)];
    const holders =
      r.holders.length > HOLDER_LINES
        ? [...r.holders.slice(0, HOLDER_LINES - 1).map(holderText), `${r.holders.length - HOLDER_LINES + 1} more holders`]
        : r.holders.map(holderText);
    for (const h of holders) lines.push(fit(`     > ${h}`, width).trimEnd());
    return lines;
  });
  const room = Math.max(0, height - head.length);
  const needed = blocks.reduce((n, b) => n + b.length, 0);
  // an object is shown whole or not at all; when some do not fit, the last line says so
  const budget = needed <= room ? room : room - 1;
  const body: string[] = [];
  let listed = 0;
  for (const b of blocks) {
    if (body.length + b.length > budget) break;
    body.push(...b);
    listed++;
  }
  if (listed < shown.length && room > 0) body.push(fit(`-- ${shown.length - listed} more not shown (k: filter by kind, or a taller window) --`, width).trimEnd());
  const frame = [...head, ...body].slice(0, height);
  if (Number.isFinite(height)) while (frame.length < height) frame.push('');
  return frame;
}
