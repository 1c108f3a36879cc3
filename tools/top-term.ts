/**
 * The terminal under `ipcfs top`, written by hand: the escape codes a full-screen view needs are
 * a handful of ECMA-48/xterm sequences every terminal emulator in use speaks (alternate screen,
 * cursor position, hide/show, erase to end of line), and raw input is Node's own
 * `setRawMode`. A library (blessed, ink, terminal-kit) would bring widgets, a layout engine and
 * their dependencies for the few lines below, and hide exactly what the tests check: which bytes
 * reach the terminal, and that it is put back on every way out.
 */
import { writeSync } from 'node:fs';

export const CSI = '\x1b[';
export const ALT_SCREEN_ON = `${CSI}?1049h`;
export const ALT_SCREEN_OFF = `${CSI}?1049l`;
export const CURSOR_HIDE = `${CSI}?25l`;
export const CURSOR_SHOW = `${CSI}?25h`;
export const ERASE_LINE = `${CSI}K`;
export const ERASE_BELOW = `${CSI}J`;
/** cursor to row (0-based), column 1 */
export const cursorTo = (row: number): string => `${CSI}${row + 1};1H`;

/**
 * The bytes that turn a screen showing prev into next, for one write: only the lines that
 * changed, each rewritten in place and erased to its end (never a clear screen, which flickers).
 * prev null (first frame, or after a resize) repaints every line and erases what is below.
 */
export function frameUpdate(prev: readonly string[] | null, next: readonly string[], width: number): string {
  let out = '';
  for (let row = 0; row < next.length; row++) {
    const text = next[row]!;
    if (prev && prev[row] === text) continue;
    // a line as wide as the screen leaves the cursor in the last column waiting to wrap, where
    // erase-line would clear that last character: it needs no erase anyway
    out += cursorTo(row) + text + (text.length < width ? ERASE_LINE : '');
  }
  if (!prev) out += cursorTo(next.length) + ERASE_BELOW;
  return out;
}

/** What a key press means to the view. */
export type KeyAction = 'quit' | 'sort' | 'kind' | 'slower' | 'faster';

/**
 * The actions in a chunk of raw input. Escape sequences (arrow and function keys) are skipped
 * whole, so that the letters inside them do not act.
 */
export function keyActions(input: string): KeyAction[] {
  const actions: KeyAction[] = [];
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '\x1b') {
      // CSI/SS3: ESC [ or ESC O, parameters, then one final byte in @..~
      if (input[i + 1] === '[' || input[i + 1] === 'O') {
        i += 2;
        while (i < input.length && !/[@-~]/.test(input[i]!)) i++;
      }
      continue;
    }
    const action: KeyAction | undefined = ({ q: 'quit', Q: 'quit', '\x03': 'quit', s: 'sort', k: 'kind', '+': 'slower', '=': 'slower', '-': 'faster' } as const)[c as 'q'];
    if (action) actions.push(action);
  }
  return actions;
}

/**
 * The screen in full-screen mode: enter() switches to the alternate screen with the cursor hidden
 * and raw input; restore() puts all of it back, once, whichever way the program ends (it is also
 * run on process exit, with a synchronous write, so that an exception or a signal never leaves
 * the user's terminal in raw mode on a blank screen).
 */
export class Screen {
  private shown: string[] | null = null;
  private active = false;
  private readonly onExit = (): void => this.restore();

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
  ) {}

  get width(): number {
    return this.output.columns || 80;
  }

  get height(): number {
    return this.output.rows || 24;
  }

  enter(): void {
    this.active = true;
    process.on('exit', this.onExit);
    this.input.setRawMode?.(true);
    this.input.resume();
    writeSync(this.fd(), ALT_SCREEN_ON + CURSOR_HIDE);
  }

  /** Draws a frame: one write of the lines that changed since the last one. */
  draw(lines: readonly string[]): void {
    if (!this.active) return;
    const update = frameUpdate(this.shown, lines, this.width);
    this.shown = [...lines];
    if (update) this.output.write(update);
  }

  /** The next frame repaints everything (the window was resized: the old screen is gone). */
  invalidate(): void {
    this.shown = null;
  }

  restore(): void {
    if (!this.active) return;
    this.active = false;
    process.removeListener('exit', this.onExit);
    try {
      this.input.setRawMode?.(false);
    } catch {
      // the terminal is gone (hangup): nothing to put back
    }
    this.input.pause();
    try {
      writeSync(this.fd(), CURSOR_SHOW + ALT_SCREEN_OFF);
    } catch {
      // as above
    }
  }

  private fd(): number {
    return (this.output as unknown as { fd?: number }).fd ?? 1;
  }
}
