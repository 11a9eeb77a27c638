/**
 * The bytes of an IP address from its text, for Community ID. Observations keep addresses as text
 * only: a view of the capture's bytes would keep the whole chunk it came from alive for the run.
 */
export function addressBytes(text: string): Uint8Array | undefined {
  return text.includes(':') ? ipv6Bytes(text) : ipv4Bytes(text);
}

/** Dotted quad, each part one to three digits up to 255; read by character (one per flow side). */
function ipv4Bytes(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let part = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || value > 255 || part > 3) return undefined;
      out[part++] = value;
      digits = 0;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      value = value * 10 + (c - 0x30);
      digits++;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
}

function ipv6Bytes(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  const zone = text.indexOf('%');
  const addr = zone >= 0 ? text.slice(0, zone) : text;
  const halves = addr.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  // A dotted quad at the end stands for the last two groups.
  const words: number[] = [];
  const toWords = (list: string[]): number[] | undefined => {
    const w: number[] = [];
    for (const [i, g] of list.entries()) {
      if (i === list.length - 1 && g.includes('.')) {
        const v4 = ipv4Bytes(g);
        if (!v4) return undefined;
        w.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        w.push(parseInt(g, 16));
      }
    }
    return w;
  };
  const hw = toWords(head);
  const tw = toWords(tail);
  if (!hw || !tw) return undefined;
  const gap = 8 - hw.length - tw.length;
  if (halves.length === 2 ? gap < 0 : gap !== 0) return undefined;
  words.push(...hw, ...new Array<number>(gap).fill(0), ...tw);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = words[i] >> 8;
    out[i * 2 + 1] = words[i] & 0xff;
  }
  return out;
}
