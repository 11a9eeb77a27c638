// The stories of the two hairpin samples, recorded by the lab with br_netfilter on and off: what a
// workshop reader must take away from each.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { buildReport, toMarkdown } from '../../src/report/document.js';
import { REPO } from '../helpers/tools.js';

async function report(sample: string): Promise<string> {
  const reader = await openCapture(join(REPO, 'samples', sample, 'capture.pcapng'));
  const work = await analyzeCaptures([reader], { evidenceLines: true }).finally(() => reader.close());
  return toMarkdown(buildReport({ analysis: work.analysis, hopsOf: work.hopsOf }));
}

/** The text of one `## ` section. */
function section(md: string, title: string): string {
  const start = md.indexOf(`## ${title}`);
  return md.slice(start, md.indexOf('\n## ', start + 1));
}

describe('the hairpin reports', () => {
  it('br_netfilter on: the DNAT on the bridge, the host\'s copies, the reverse translation; nothing went wrong', async () => {
    const md = await report('hairpin');
    const story = section(md, 'What happened');
    expect(story).toContain('### 1. 172.17.0.2 connects to 203.0.113.108:8080: GET / HTTP/1.1: answered through NAT');
    expect(story).toContain('the DNAT happens while the frame is bridged `capture.pcapng#7`');
    expect(story).toContain('routes that copy back onto `docker0` `capture.pcapng#10` (TTL one less), and the server gets the packet a second time `capture.pcapng#11`');
    expect(story).toContain('These are copies of one packet, one journey: neither drops nor retransmissions.');
    expect(story).toContain('it answers the second copy too `capture.pcapng#21`: an answer to a copy, not a retransmission');
    expect(story).toContain('conntrack reverses the NAT#58;<br/>source 172.17.0.3#58;80 #45;#62; 203.0.113.108#58;8080');
    expect(story).not.toMatch(/\+#45;\d/);
    expect(section(md, 'Findings')).toContain('None:');
  });

  it('br_netfilter off: the untranslated SYN-ACK, the reset, the SYN sent again, and both fixes', async () => {
    const md = await report('hairpin-bypassed');
    const story = section(md, 'What happened');
    expect(story).toContain('### 1. 172.17.0.2 connects to 203.0.113.108:8080: answered past NAT, untranslated, and reset');
    expect(story).toContain('Destination NAT as the host routes it back onto `docker0`: the destination `203.0.113.108:8080` became `172.17.0.3:80` `capture.pcapng#8`');
    expect(story).toContain('had they come back through the host');
    expect(story).toContain(
      'The SYN-ACK `capture.pcapng#17` arrives 112 µs later, but from `172.17.0.3:80`, untranslated: the client called `203.0.113.108:8080` and has no connection with `172.17.0.3`, so its kernel answers with a reset `capture.pcapng#19`',
    );
    expect(story).toContain('The client sent the SYN 8 more times `capture.pcapng#22` over 19.4 s: true retransmissions, after timeouts');
    expect(story).not.toContain('because the first copy was lost on the way');
    const findings = section(md, 'Findings');
    expect(findings).toContain('- **Error** (`nat-bypassed`): 9 TCP SYN\\-ACKs of the connection');
    expect(findings).toContain('sysctl \\-w net.bridge.bridge\\-nf\\-call\\-iptables=1');
    expect(findings).toContain('\\-j MASQUERADE');
    expect(findings).toContain('*What to check:* The answer must come back through the host');
    expect(findings).not.toContain('no-reply');
    expect(findings).not.toContain('dropped-at-host');
    expect(section(md, 'Glossary')).toContain('**hairpin NAT**');
  });
});
