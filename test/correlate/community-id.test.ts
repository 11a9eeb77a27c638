import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Address4, Address6 } from 'ip-address';
import { communityId } from '../../src/correlate/community-id.js';
import { CORPUS } from '../helpers/tools.js';

interface BaselineRow {
  proto: number;
  saddr: string;
  daddr: string;
  sport?: number;
  dport?: number;
  communityid: string;
}

function addrBytes(text: string): Uint8Array {
  if (Address4.isValid(text)) return Uint8Array.from(new Address4(text).toArray());
  // toUnsignedByteArray drops leading zero bytes (::1 is one byte): pad back to 16.
  const bytes = new Address6(text).toUnsignedByteArray();
  const out = new Uint8Array(16);
  out.set(bytes, 16 - bytes.length);
  return out;
}

const baselineDir = join(CORPUS, 'community-id', 'baseline');
const cases: [string, number, boolean][] = [
  ['baseline_deflt.json', 0, true],
  ['baseline_nob64.json', 0, false],
  ['baseline_seed1.json', 1, true],
];

describe.skipIf(!existsSync(baselineDir))('Community ID v1 against the specification baseline', () => {
  for (const [file, seed, b64] of cases) {
    it(`reproduces every value of ${file}`, () => {
      const rows = JSON.parse(readFileSync(join(baselineDir, file), 'utf8')) as BaselineRow[];
      expect(rows.length).toBeGreaterThan(20);
      for (const row of rows) {
        const got = communityId({ proto: row.proto, saddr: addrBytes(row.saddr), daddr: addrBytes(row.daddr), sport: row.sport, dport: row.dport }, seed, b64);
        expect(got, JSON.stringify(row)).toBe(row.communityid);
      }
    });
  }
});
