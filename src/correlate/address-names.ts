import { ipv4String, macString, u32 } from '../decode/bytes.js';

/** Past this many distinct addresses a table starts again: memory stays bounded on odd captures. */
const MAX_NAMES = 1 << 16;

/**
 * The text of MAC and IPv4 addresses, made once per address rather than once per frame: every
 * observation of one address then shares one string, which is most of what a long run keeps.
 */
export class AddressNames {
  private readonly macs = new Map<number, string>();
  private readonly v4 = new Map<number, string>();

  mac(b: Uint8Array, o: number): string {
    const key = ((b[o] << 8) | b[o + 1]) * 0x1_0000_0000 + u32(b, o + 2);
    let s = this.macs.get(key);
    if (s === undefined) {
      if (this.macs.size >= MAX_NAMES) this.macs.clear();
      s = macString(b, o);
      this.macs.set(key, s);
    }
    return s;
  }

  ipv4(b: Uint8Array, o: number): string {
    const key = u32(b, o);
    let s = this.v4.get(key);
    if (s === undefined) {
      if (this.v4.size >= MAX_NAMES) this.v4.clear();
      s = ipv4String(b, o);
      this.v4.set(key, s);
    }
    return s;
  }
}
