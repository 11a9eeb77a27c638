// The single-page HTML report: Markdown turned into HTML by the small converter of src/report/html.ts.
// Text from packets arrives escaped for Markdown and must come out as text, never as markup.
import { describe, it, expect } from 'vitest';
import { markdownToHtml } from '../../src/report/html.js';
import { mdCode, mdText } from '../../src/report/escape.js';

const HOSTILE = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '"><svg onload=alert(1)>', '**bold** | pipe `tick`', '&lt;already&gt;'];

describe('markdownToHtml', () => {
  it('shows hostile packet text literally, in prose, code spans and table cells', () => {
    for (const h of HOSTILE) {
      const md = [`# ${mdText(h)}`, '', `A claim about ${mdCode(h)} and ${mdText(h)}.`, '', '| a | b |', '|---|---|', `| ${mdCode(h, true)} | ${mdText(h)} |`].join('\n');
      const out = markdownToHtml(md);
      expect(out).not.toMatch(/<(script|img|svg)\b/i);
      expect(out).not.toMatch(/<[^>]*\son\w+=/i);
    }
  });

  it('keeps the structure the report writes', () => {
    const out = markdownToHtml(['## Findings', '', '- **Error** (`dropped-at-host`): it died.', '', '| x | y |', '|---|---:|', '| `a\\|b` | 2 |', '', '```text', 'raw <b>', '```'].join('\n'));
    expect(out).toContain('<h2>Findings</h2>');
    expect(out).toContain('<li><strong>Error</strong> (<code>dropped-at-host</code>): it died.</li>');
    expect(out).toContain('<td><code>a|b</code></td>');
    expect(out).toContain('<pre class="text"><code>raw &lt;b&gt;</code></pre>');
  });
});
