/**
 * Byte fixtures written as commented hex, one field a line:
 *   fixture(`
 *     2d 00 00 00               // len = 45
 *     01 00 00 00               // opcode = LOOKUP
 *   `)
 * Everything after // is a comment; whitespace separates bytes.
 */
export function fixture(text: string): Buffer {
  const hex = text
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, ''))
    .join(' ')
    .split(/\s+/)
    .filter(Boolean);
  for (const b of hex) if (!/^[0-9a-fA-F]{2}$/.test(b)) throw new Error(`bad fixture byte "${b}"`);
  return Buffer.from(hex.join(''), 'hex');
}
