import { describe, expect, it } from 'vitest';
import { addressBytes } from '../../src/correlate/address-bytes.js';
import { ipv4String, ipv6String } from '../../src/decode/bytes.js';

describe('addressBytes', () => {
  it('gives back the bytes the decoders print, IPv4 and IPv6 alike', () => {
    const cases = [
      [0, 0, 0, 0], [255, 255, 255, 255], [10, 0, 2, 15], [172, 17, 0, 2], [1, 20, 255, 0],
    ];
    for (const c of cases) expect(Array.from(addressBytes(ipv4String(Uint8Array.from(c), 0))!)).toEqual(c);
    const v6 = [
      '00000000000000000000000000000000', '00000000000000000000000000000001', 'fe800000000000000042acfffe110002',
      '20010db8000000000000000000000001', '00000000000000000000ffffc0a80001', '20010db8000100000000000100000000',
      '000000000000000000000000c0000201', 'ff020000000000000000000000000001', '20010db8aaaabbbbccccddddeeeeffff',
    ];
    for (const hex of v6) {
      const bytes = Uint8Array.from(hex.match(/../g)!.map((x) => parseInt(x, 16)));
      expect(Buffer.from(addressBytes(ipv6String(bytes, 0))!).toString('hex')).toBe(hex);
    }
  });

  it('is undefined for text that is not an address', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', 'a.b.c.d', '1.2.3.4 ', '1:2:3', '1::2::3', 'g::1', '1:2:3:4:5:6:7:8:9']) {
      expect(addressBytes(bad)).toBeUndefined();
    }
  });
});
