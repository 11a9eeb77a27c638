/**
 * Structural checks of a report's Markdown and Mermaid, independent of how src/report writes them:
 * what packet text must never be able to do there (open HTML, break a fence, start a diagram line).
 */

/** HTML tags the report writes itself; any other tag in the text came from somewhere it should not. */
const OWN_TAGS = new Set(['details', 'summary', 'br']);

export interface MermaidBlock {
  line: number;
  text: string;
}

/** The Markdown split into prose (code removed) and its fenced blocks; problems with the fences themselves. */
export function splitMarkdown(md: string): { prose: string[]; fences: { info: string; line: number; body: string[] }[]; problems: string[] } {
  const prose: string[] = [];
  const fences: { info: string; line: number; body: string[] }[] = [];
  const problems: string[] = [];
  const lines = md.split('\n');
  let open: { marker: string; info: string; line: number; body: string[] } | undefined;
  lines.forEach((l, i) => {
    if (open) {
      if (l.trim().startsWith(open.marker) && /^`+$/.test(l.trim())) {
        fences.push({ info: open.info, line: open.line, body: open.body });
        open = undefined;
      } else open.body.push(l);
      return;
    }
    const m = /^ {0,3}(`{3,})(.*)$/.exec(l);
    if (m) {
      if (m[2].includes('`')) problems.push(`line ${i + 1}: a fence whose info string holds a backtick`);
      open = { marker: m[1], info: m[2].trim(), line: i + 1, body: [] };
      return;
    }
    prose.push(l);
  });
  if (open) problems.push(`line ${open.line}: fence never closed`);
  return { prose, fences, problems };
}

/** Removes inline code spans (CommonMark: a run of n backticks closed by the next run of exactly n). */
export function stripCodeSpans(line: string): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    if (line[i] === '\\' && i + 1 < line.length) {
      out += line.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (line[i] !== '`') {
      out += line[i++];
      continue;
    }
    let n = 0;
    while (line[i + n] === '`') n++;
    const fence = '`'.repeat(n);
    let j = i + n;
    let close = -1;
    while (j < line.length) {
      const k = line.indexOf(fence, j);
      if (k < 0) break;
      let m = 0;
      while (line[k + m] === '`') m++;
      if (m === n) {
        close = k;
        break;
      }
      j = k + m;
    }
    if (close < 0) {
      out += fence;
      i += n;
    } else {
      out += 'CODE';
      i = close + n;
    }
  }
  return out;
}

/** Raw HTML in the prose of `md` other than the report's own tags. */
export function foreignHtml(md: string): string[] {
  const found: string[] = [];
  for (const l of splitMarkdown(md).prose) {
    const text = stripCodeSpans(l);
    for (const m of text.matchAll(/<\/?([A-Za-z][A-Za-z0-9-]*)|<[!?]/g)) {
      if (m[1] === undefined || !OWN_TAGS.has(m[1].toLowerCase())) found.push(`${m[0]} in: ${l.slice(0, 160)}`);
    }
  }
  return found;
}

export function mermaidBlocks(md: string): MermaidBlock[] {
  return splitMarkdown(md)
    .fences.filter((f) => f.info === 'mermaid')
    .map((f) => ({ line: f.line, text: f.body.join('\n') }));
}

/** Label text as mermaidText leaves it: safe characters and numeric entities only. */
const LABEL = String.raw`(?:[A-Za-z0-9 ,._/@=+*?!']|#\d+;)*`;
/** Notes may hold several lines, which the report joins with Mermaid's `<br/>`. */
const NOTE = String.raw`${LABEL}(?:<br/>${LABEL})*`;
const SEQUENCE_LINES = [
  new RegExp(String.raw`^ +(participant|actor) p\d+ as ${LABEL}$`),
  new RegExp(String.raw`^ +p\d+(->>|-->>|-x|->|-->|--x|-\)|--\))p\d+: ${LABEL}$`),
  new RegExp(String.raw`^ +Note (over|left of|right of) p\d+(,p\d+)?: ${NOTE}$`),
  new RegExp(String.raw`^ +(loop|opt|alt|else|rect|par|and|critical|break) ${LABEL}$`),
  // A host's lanes (captures from several hosts): `transparent` always, so the label is never a colour.
  new RegExp(String.raw`^ +box transparent ${LABEL}$`),
  /^ +end$/,
  /^ +(autonumber|activate p\d+|deactivate p\d+)$/,
];
const FLOW_LINES = [
  new RegExp(String.raw`^ +subgraph g\d+\["${LABEL}"\]$`),
  /^ +end$/,
  /^ +direction (LR|TB|RL|BT)$/,
  new RegExp(String.raw`^ +n\d+(\["${LABEL}"\]|\("${LABEL}"\)|\(\["${LABEL}"\]\)|\[\("${LABEL}"\)\]|\{"${LABEL}"\})$`),
  new RegExp(String.raw`^ +n\d+ (---|-\.-|-->|-\.->|==>|===)(\|"${LABEL}"\|)? n\d+$`),
  /^ +(classDef|class|style|linkStyle) [\w ,:#;.-]+$/,
];

/** Why a Mermaid block is not one that only the report could have written, or undefined. */
export function mermaidProblem(text: string): string | undefined {
  const lines = text.split('\n');
  const head = lines[0];
  const grammar = head === 'sequenceDiagram' ? SEQUENCE_LINES : /^flowchart (LR|TB|RL|BT)$/.test(head) ? FLOW_LINES : undefined;
  if (!grammar) return `unknown diagram header ${JSON.stringify(head)}`;
  let depth = 0;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    if (l.trim() === '') continue;
    if (!grammar.some((g) => g.test(l))) return `line ${i + 1} is not a line the report writes: ${JSON.stringify(l.slice(0, 200))}`;
    const word = l.trim().split(' ')[0];
    if (word === 'end') depth--;
    else if (['subgraph', 'loop', 'opt', 'alt', 'rect', 'par', 'critical', 'break', 'box'].includes(word)) depth++;
    if (depth < 0) return `line ${i + 1}: end without a block`;
  }
  if (depth !== 0) return `${depth} block(s) never ended`;
  return undefined;
}

/** Every problem of a report: foreign HTML, broken fences, Mermaid blocks that do not parse as ours. */
export function reportProblems(md: string): string[] {
  const { problems } = splitMarkdown(md);
  const out = [...problems, ...foreignHtml(md).map((h) => `raw HTML from packets: ${h}`)];
  for (const b of mermaidBlocks(md)) {
    const p = mermaidProblem(b.text);
    if (p) out.push(`Mermaid block at line ${b.line}: ${p}`);
  }
  return out;
}
