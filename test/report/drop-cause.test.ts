// A story of packets that died in the host quotes the cause from the drop finding: the words after
// the message's first colon and space. IPv6 addresses are full of colons, and the story quoted the
// message from the middle of the source address on.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReport } from '../../src/cli/report.js';
import { writeForwardDrops } from './generated-captures.js';

describe('the cause of a drop, in its story', () => {
  for (const ipv6 of [false, true]) {
    it(`is the finding's reason, over IPv${ipv6 ? 6 : 4}`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'pn-drop-cause-'));
      try {
        const path = join(dir, 'drops.pcapng');
        await writeForwardDrops(path, 2, ipv6);
        await runReport([path], { output: dir, quiet: true }, 'test');
        const md = await readFile(join(dir, 'report.md'), 'utf8');
        const causes = md.match(/The likely cause: [^\n]*/g) ?? [];
        expect(causes).toHaveLength(2);
        for (const c of causes) expect(c).toBe('The likely cause: ip\\_forward is probably 0 on the host, or a filter \\(iptables FORWARD policy DROP\\) dropped it.');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
