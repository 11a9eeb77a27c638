import { describe, it, expect } from 'vitest';
import { mdText, mdCode, mermaidText } from '../../src/report/escape.js';

const HOSTILE = [
  '<script>alert(1)</script>',
  '**bold** _x_ [link](http://x) ![img](y)',
  '# heading\n- list\n> quote',
  'a | b | c',
  '``` fenced ```',
  'p1->>p2: injected\nNote over p1: x',
  'end',
  '%%{init: {"theme":"dark"}}%%',
  'x;y#35;z',
  'line\u2028break\r\n\u0000nul',
];

describe('escaping text that comes from packets', () => {
  it('mdText leaves no Markdown or HTML syntax and no line breaks', () => {
    for (const s of HOSTILE) {
      const e = mdText(s);
      expect(e).not.toMatch(/[\n\r\u2028\u2029]/);
      expect(e).not.toMatch(/<(?!\\)/);
      // Every punctuation mark that means something is preceded by a backslash.
      expect(e.replace(/\\[\\`*_{}[\]()#+\-.!|~>]/g, '').replace(/&(amp|lt|quot);/g, '')).not.toMatch(/[\\`*_{}[\]()#+\-!|~<>"]/);
    }
  });

  it('mdText escapes a number and dot only where they would open a list', () => {
    expect(mdText('1. item')).toBe('1\\. item');
    expect(mdText('2024.')).toBe('2024\\.');
    expect(mdText('172.18.0.3 pings 172.18.0.2')).toBe('172.18.0.3 pings 172.18.0.2');
    expect(mdText('3) item')).toBe('3\\) item');
  });

  it('mdCode fences longer than any backtick run and escapes pipes in tables', () => {
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('``x``')).toBe('``` ``x`` ```');
    expect(mdCode('a|b', true)).toBe('`a\\|b`');
    expect(mdCode('x\ny')).toBe('`x y`');
  });

  it('mermaidText keeps only letters, digits and a few safe marks; everything else is an entity', () => {
    for (const s of HOSTILE) {
      const e = mermaidText(s);
      const stripped = e.replace(/#\d+;/g, '');
      expect(stripped).toMatch(/^[A-Za-z0-9 ,._/@=+*?!']*$/);
    }
    expect(mermaidText('a->b')).toBe('a#45;#62;b');
    expect(mermaidText('end')).toBe('#8203;end');
  });

  it('bounds the length of any one piece of text', () => {
    expect(mdText('x'.repeat(10_000)).length).toBeLessThan(400);
    expect(mermaidText('x'.repeat(10_000), 50).length).toBeLessThanOrEqual(60);
  });
});
