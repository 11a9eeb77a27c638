// tcpdump's hex dumps (print-ascii.c) that follow a line when a printer gives up on a packet:
// hex_and_ascii_print for the default printer, hex_print for print_unknown_data.

function hexLines(b: Uint8Array, offset: number, length: number, ascii: boolean): string {
  const end = Math.min(b.length, offset + Math.max(0, length));
  let out = '';
  for (let row = offset; row < end; row += 16) {
    const stop = Math.min(end, row + 16);
    let hex = '';
    let text = '';
    for (let i = row; i < stop; i += 2) {
      hex += ` ${b[i].toString(16).padStart(2, '0')}${i + 1 < stop ? b[i + 1].toString(16).padStart(2, '0') : ''}`;
    }
    for (let i = row; i < stop; i++) text += b[i] > 0x20 && b[i] < 0x7f ? String.fromCharCode(b[i]) : '.';
    out += `\n\t0x${(row - offset).toString(16).padStart(4, '0')}: ${ascii ? `${hex.padEnd(40)}  ${text}` : hex}`;
  }
  return out;
}

/** hex_and_ascii_print(ndo, "\n\t", ...): 16 bytes a line with their printable characters. */
export function hexAndAscii(b: Uint8Array, offset: number, length: number): string {
  return hexLines(b, offset, length, true);
}

/** hex_print(ndo, "\n\t", ...): 16 bytes a line, hex only. */
export function hexOnly(b: Uint8Array, offset: number, length: number): string {
  return hexLines(b, offset, length, false);
}
