/**
 * The table printer of `ipcfs lsipc`: libsmartcols' output as util-linux 2.38's lsipc prints it
 * to a pipe or a file (no terminal width to fit), in its five modes. Pure: columns and rows in,
 * text out. The layout rules, learnt from libsmartcols' print.c and calculate.c and checked
 * against the system's lsipc (test/tools/lsipc*.test.ts):
 *  - a column is as wide as its widest cell or its header (also with --noheadings);
 *  - cells are separated by one space; right-aligned columns pad on the left, headers included;
 *  - the last column is not padded when left-aligned, and a cell with no data at all (null, not
 *    "") prints nothing when last, spaces to the column's width otherwise;
 *  - a table without rows prints nothing (JSON: its empty array, with libsmartcols' blank line);
 *  - raw: no padding, blanks and backslashes as \xNN; export: NAME="value" with ", \, `, $ and
 *    control characters as \xNN (newline mode: one pair per line); JSON: lower-case names, every
 *    value a string, an empty cell null.
 */

export interface TableColumn {
  name: string;
  /** SCOLS_FL_RIGHT */
  right?: boolean;
}

/** null: no data set (libsmartcols' empty cell); "" is data that is empty. */
export type Cell = string | null;

export type OutputMode = 'table' | 'raw' | 'export' | 'newline' | 'json';

export interface TableOptions {
  mode: OutputMode;
  noheadings?: boolean;
  /** -y: names usable as shell variables */
  shellvar?: boolean;
  /** the JSON array's name (lsipc: semaphores, messages, sharedmemory, ipclimits, ...) */
  name?: string;
}

/** libsmartcols' shell-variable name: "USE%" -> "USE_PCT", other non-alphanumerics '_', no leading digit. */
export function shellName(name: string): string {
  let s = name.endsWith('%') ? `${name.slice(0, -1)}_PCT` : name;
  s = s.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

const hex = (c: number): string => `\\x${c.toString(16).padStart(2, '0')}`;

/** What a terminal cell shows: non-printable bytes as \xNN (mbs_safe_encode). */
function safe(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => hex(c.charCodeAt(0)));
}

function rawEscape(s: string): string {
  return s.replace(/[\x00-\x20\\\x7f]/g, (c) => hex(c.charCodeAt(0)));
}

function exportQuote(s: string): string {
  return `"${s.replace(/["\\`$\x00-\x1f\x7f]/g, (c) => hex(c.charCodeAt(0)))}"`;
}

function jsonQuote(s: string): string {
  return `"${s.replace(/["\\\x00-\x1f]/g, (c) => (c === '"' || c === '\\' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))}"`;
}

/** Display width: one per code point (the tools' data is ASCII but for names and commands). */
const width = (s: string): number => [...s].length;

export function renderTable(columns: readonly TableColumn[], rows: readonly (readonly Cell[])[], o: TableOptions): string {
  const names = columns.map((c) => (o.shellvar ? shellName(c.name) : c.name));
  if (o.mode === 'json') return renderJson(names, rows, o.name ?? '');
  if (rows.length === 0) return '';
  switch (o.mode) {
    case 'raw': {
      const lines = rows.map((r) => columns.map((_, i) => rawEscape(r[i] ?? '')).join(' '));
      if (!o.noheadings) lines.unshift(names.join(' '));
      return lines.map((l) => `${l}\n`).join('');
    }
    case 'export':
    case 'newline': {
      const sep = o.mode === 'newline' ? '\n' : ' ';
      return rows.map((r) => `${columns.map((_, i) => `${names[i]}=${exportQuote(r[i] ?? '')}`).join(sep)}\n`).join('');
    }
    default:
      return renderAligned(columns, names, rows, !o.noheadings);
  }
}

function renderAligned(columns: readonly TableColumn[], names: string[], rows: readonly (readonly Cell[])[], headings: boolean): string {
  const shown = rows.map((r) => columns.map((_, i) => (r[i] == null ? null : safe(r[i]!))));
  const widths = columns.map((_, i) => Math.max(width(names[i]!), ...shown.map((r) => (r[i] == null ? 0 : width(r[i]!)))));
  const last = columns.length - 1;
  const line = (cells: Cell[]): string => {
    let out = '';
    cells.forEach((cell, i) => {
      const w = widths[i]!;
      if (cell === null) {
        if (i !== last) out += `${' '.repeat(w)} `;
        return;
      }
      const pad = ' '.repeat(Math.max(0, w - width(cell)));
      if (columns[i]!.right) out += pad + cell;
      else out += i === last ? cell : cell + pad;
      if (i !== last) out += ' ';
    });
    return `${out}\n`;
  };
  return (headings ? line(names) : '') + shown.map(line).join('');
}

function renderJson(names: string[], rows: readonly (readonly Cell[])[], name: string): string {
  const head = `{\n   ${jsonQuote(name)}: [\n`;
  if (rows.length === 0) return `${head}\n   ]\n}\n`;
  const objects = rows.map((r) => names.map((n, i) => `         ${jsonQuote(n.toLowerCase())}: ${r[i] ? jsonQuote(r[i]!) : 'null'}`).join(',\n'));
  return `${head}      {\n${objects.join('\n      },{\n')}\n      }\n   ]\n}\n`;
}
