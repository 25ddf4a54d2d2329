/** The `-x` view: offset, 16 hex bytes, ASCII, as tshark prints it. */
export function hexdump(b: Uint8Array): string[] {
  const lines: string[] = [];
  for (let off = 0; off < b.length; off += 16) {
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      const p = off + i;
      if (p < b.length) {
        const c = b[p]!;
        hex += (c < 16 ? '0' : '') + c.toString(16) + ' ';
        ascii += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
      } else {
        hex += '   ';
      }
      if (i === 7) hex += ' ';
    }
    lines.push(`${off.toString(16).padStart(4, '0')}  ${hex} ${ascii}`);
  }
  return lines;
}
