import { ipv4String, macString, u32 } from '../decode/bytes.js';
import { RecentTable } from './recent.js';

/** Names held: those of the addresses met in the last one to two generations of this many (recent.ts). */
const NAMES = 1 << 14;

/**
 * The text of MAC and IPv4 addresses, made once per address rather than once per frame: every
 * observation of one address then shares one string, which is most of what a long run keeps.
 */
export class AddressNames {
  private readonly macs = new RecentTable<number, string>(NAMES);
  private readonly v4 = new RecentTable<number, string>(NAMES);

  mac(b: Uint8Array, o: number): string {
    const key = ((b[o] << 8) | b[o + 1]) * 0x1_0000_0000 + u32(b, o + 2);
    let s = this.macs.get(key);
    if (s === undefined) {
      s = macString(b, o);
      this.macs.set(key, s);
    }
    return s;
  }

  ipv4(b: Uint8Array, o: number): string {
    const key = u32(b, o);
    let s = this.v4.get(key);
    if (s === undefined) {
      s = ipv4String(b, o);
      this.v4.set(key, s);
    }
    return s;
  }
}
