/**
 * `--format html`: one self-contained page, the rendered SVGs inlined. The Markdown is turned into
 * HTML by a deliberately small converter that knows exactly the constructs document.ts writes
 * (headings, paragraphs, lists, tables, code spans and fences, details): the text in them is already
 * escaped for Markdown, and is escaped again here for HTML after the Markdown escapes are undone.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportDocument } from './document.js';

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Inline Markdown (code spans, bold, italics, backslash escapes, entities) to HTML. */
function inline(md: string): string {
  let out = '';
  let i = 0;
  while (i < md.length) {
    const ch = md[i];
    if (ch === '`') {
      let n = 0;
      while (md[i + n] === '`') n++;
      const fence = '`'.repeat(n);
      const end = md.indexOf(fence, i + n);
      if (end > 0) {
        let code = md.slice(i + n, end);
        if (code.startsWith(' ') && code.endsWith(' ') && code.trim().length > 0) code = code.slice(1, -1);
        out += `<code>${html(code.replace(/\\\|/g, '|'))}</code>`;
        i = end + n;
        continue;
      }
    }
    if (ch === '\\' && i + 1 < md.length && /[\\`*_{}[\]()#+\-.!|~>]/.test(md[i + 1])) {
      out += html(md[i + 1]);
      i += 2;
      continue;
    }
    if (md.startsWith('**', i)) {
      const end = md.indexOf('**', i + 2);
      if (end > 0) {
        out += `<strong>${inline(md.slice(i + 2, end))}</strong>`;
        i = end + 2;
        continue;
      }
    }
    if (ch === '*' && md[i + 1] !== ' ') {
      const end = md.indexOf('*', i + 1);
      if (end > 0) {
        out += `<em>${inline(md.slice(i + 1, end))}</em>`;
        i = end + 1;
        continue;
      }
    }
    if (ch === '&') {
      const m = /^&(amp|lt|gt|quot);/.exec(md.slice(i));
      if (m) {
        out += m[0];
        i += m[0].length;
        continue;
      }
    }
    if (md.startsWith('<br>', i)) {
      out += '<br>';
      i += 4;
      continue;
    }
    out += html(ch);
    i++;
  }
  return out;
}

function splitRow(row: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let inCode = 0;
  for (let i = 1; i < row.length - 1; i++) {
    const ch = row[i];
    if (ch === '\\' && row[i + 1] === '|') {
      cur += '\\|';
      i++;
      continue;
    }
    if (ch === '`') inCode = inCode ? 0 : 1;
    if (ch === '|' && !inCode) {
      cells.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  cells.push(cur.trim());
  return cells;
}

export function markdownToHtml(md: string): string {
  const lines = md.split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.startsWith('```')) {
      i = codeBlock(lines, i, out);
      continue;
    }
    const h = /^(#{1,6}) (.*)$/.exec(line);
    if (h) {
      out.push(`<h${h[1].length}>${inline(h[2])}</h${h[1].length}>`);
      i++;
      continue;
    }
    if (line.startsWith('|')) {
      i = table(lines, i, out);
      continue;
    }
    if (line.startsWith('- ')) {
      i = list(lines, i, out);
      continue;
    }
    if (line === '<details><summary>Evidence</summary>' || line === '<details><summary>Mermaid source</summary>' || line === '</details>') {
      out.push(line);
      i++;
      continue;
    }
    const img = /^!\[(.*)\]\((.*)\)$/.exec(line);
    if (img) {
      out.push(`<img alt="${html(img[1])}" src="${html(img[2])}">`);
      i++;
      continue;
    }
    if (line.trim() === '' || line === '---') {
      if (line === '---') out.push('<hr>');
      i++;
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i].trim() !== '' && !/^(#|\||- |```|<details|<\/details)/.test(lines[i])) para.push(lines[i++]);
    out.push(`<p>${inline(para.join(' '))}</p>`);
  }
  return out.join('\n');
}

/** The fenced block starting at line `i`, as `<pre>`; returns the line after it. */
function codeBlock(lines: string[], i: number, out: string[]): number {
  const lang = lines[i].slice(3).trim();
  const body: string[] = [];
  i++;
  while (i < lines.length && !lines[i].startsWith('```')) body.push(lines[i++]);
  i++;
  out.push(`<pre${lang ? ` class="${html(lang)}"` : ''}><code>${html(body.join('\n'))}</code></pre>`);
  return i;
}

/** The table starting at line `i` (header, separator, rows); returns the line after it. */
function table(lines: string[], i: number, out: string[]): number {
  const rows: string[][] = [];
  while (i < lines.length && lines[i].startsWith('|')) rows.push(splitRow(lines[i++]));
  const [head, , ...body] = rows;
  out.push(
    `<table><thead><tr>${head.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${body
      .map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`)
      .join('')}</tbody></table>`,
  );
  return i;
}

/** The list starting at line `i`, an indented line continuing its item; returns the line after it. */
function list(lines: string[], i: number, out: string[]): number {
  const items: string[] = [];
  while (i < lines.length && (lines[i].startsWith('- ') || lines[i].startsWith('  '))) {
    if (lines[i].startsWith('- ')) items.push(lines[i].slice(2));
    else items[items.length - 1] += `<br>${lines[i].trim()}`;
    i++;
  }
  out.push(`<ul>${items.map((x) => `<li>${inline(x).replace(/&lt;br&gt;/g, '<br>')}</li>`).join('')}</ul>`);
  return i;
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
code{background:#f3f3f3;padding:0 .2em;border-radius:3px}pre{background:#f6f6f6;padding:.8em;overflow:auto}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.2em .5em;vertical-align:top}
figure{margin:1em 0;overflow:auto}figure svg{max-width:100%;height:auto}`;

/** The page: the Markdown as HTML with each diagram's SVG inlined where its block stood. */
export async function toHtml(doc: ReportDocument, dir: string, images?: Map<string, string>): Promise<string> {
  const parts: string[] = [];
  for (const b of doc.blocks) {
    if (b.type === 'text') {
      parts.push(markdownToHtml(b.text));
      continue;
    }
    const file = images?.get(b.diagram.id);
    if (file && file.endsWith('.svg')) {
      const svg = await readFile(join(dir, file), 'utf8');
      parts.push(`<figure>${svg.replace(/^<\?xml[^>]*>/, '')}<figcaption>${html(b.diagram.caption)}</figcaption></figure>`);
    } else {
      parts.push(`<pre class="mermaid"><code>${html(b.diagram.mermaid)}</code></pre>`);
    }
  }
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${html(doc.title)}</title><style>${STYLE}</style></head><body>\n${parts.join('\n')}\n</body></html>\n`;
}
