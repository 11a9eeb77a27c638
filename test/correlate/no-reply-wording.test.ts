// A no-reply finding counts the requests in the plural and then names what they asked for: an ARP
// request asks the link for an address, so it reads "for", not "to" (community-id's arp.pcap, real traffic).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { REPO } from '../helpers/tools.js';

describe('no-reply wording', () => {
  it('counts unanswered ARP requests in the plural and names the address they asked for', async () => {
    const reader = await openCapture(join(REPO, 'test', 'corpus', 'community-id', 'pcaps', 'arp.pcap'));
    try {
      const { analysis } = await analyzeCaptures([reader], {});
      const messages = analysis.findings.filter((f) => f.code === 'no-reply').map((f) => f.message);
      expect(messages).toContain('2 ARP requests from 192.150.187.1 for 192.150.187.20 got no answer in the captures (last seen on arp).');
    } finally {
      await reader.close();
    }
  });
});
