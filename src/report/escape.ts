/**
 * Text from packets (DNS names, HTTP lines, interface names) is hostile until escaped. Every piece
 * of captured text that reaches report.md goes through one of these, chosen by where it lands.
 */

const MAX_TEXT = 300;

/** Drops control characters (line breaks included) and bounds the length. */
function tame(text: string, max = MAX_TEXT): string {
  // eslint-disable-next-line no-control-regex
  let s = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  if (s.length > max) s = `${s.slice(0, max - 1)}…`;
  return s;
}

/** Inline Markdown text: every ASCII punctuation that CommonMark or GFM gives meaning is escaped. */
export function mdText(text: string, max?: number): string {
  // A dot only means something after a number that starts a line and before a space or the end
  // ("1. " opens a list, CommonMark 5.2): escaping it there alone keeps addresses readable.
  return tame(text, max)
    .replace(/[\\`*_{}[\]()#+\-!|~>]/g, (c) => `\\${c}`)
    .replace(/^(\d{1,9})\.(?=\s|$)/, '$1\\.')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;');
}

/**
 * A code span that shows its content literally whatever backticks it holds (CommonMark: a fence
 * longer than any run inside, padded with spaces). `inTable` also escapes the pipe GFM would split
 * cells on even inside code.
 */
export function mdCode(text: string, inTable = false, max?: number): string {
  let s = tame(text, max);
  let longest = 0;
  for (const m of s.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  if (inTable) s = s.replace(/\|/g, '\\|');
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') || s.startsWith(' ') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** Markdown table cell text. */
export function mdCell(text: string, max?: number): string {
  return mdText(text, max);
}

/**
 * Mermaid label text: every character beyond a small safe set becomes an entity code (`#35;`),
 * which Mermaid turns back into the character when it draws. Arrows, keywords, `%%` comments,
 * colons, semicolons, quotes, brackets and HTML all lose their meaning this way.
 */
export function mermaidText(text: string, max?: number): string {
  let out = '';
  for (const ch of tame(text, max)) {
    out += /[A-Za-z0-9 ,._/@=+*?!']/.test(ch) ? ch : `#${ch.codePointAt(0)};`;
  }
  // Mermaid keywords are harmless once the line structure cannot be broken, but a label that is
  // only "end" still confuses some flowchart parsers: keep labels from being bare keywords.
  return /^\s*(end|graph|subgraph|participant|actor|note|loop|alt|else|opt|par|rect|critical|break)\s*$/i.test(out) ? `#8203;${out}` : out;
}

/** An identifier for Mermaid from any name: letters, digits and underscores only, never a keyword. */
export function mermaidId(prefix: string, n: number): string {
  return `${prefix}${n}`;
}
