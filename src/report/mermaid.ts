/**
 * Diagrams are small typed models first (participants, messages, notes; nodes and edges), turned
 * into Mermaid text last and in one place, where every label is escaped (after Mermaid's own model).
 */
import { mermaidText, mermaidId } from './escape.js';

export interface SequenceParticipant {
  key: string;
  label: string;
  kind?: 'participant' | 'actor';
  /** Drawn in a box with the participants next to it that have the same one (the host of an interface). */
  box?: string;
}

export type SequenceItem =
  | { type: 'message'; from: string; to: string; text: string; arrow?: 'solid' | 'dotted' | 'cross' }
  /** A note's lines are drawn one under the other (Mermaid's `<br/>`, the only markup let through). */
  | { type: 'note'; over: string[]; text: string | string[] }
  | { type: 'loop'; text: string; items: SequenceItem[] };

export interface SequenceDiagram {
  participants: SequenceParticipant[];
  items: SequenceItem[];
}

const ARROWS = { solid: '->>', dotted: '-->>', cross: '-x' } as const;

export function renderSequence(d: SequenceDiagram): string {
  const ids = new Map<string, string>();
  const lines = ['sequenceDiagram'];
  let box: string | undefined;
  d.participants.forEach((p, i) => {
    const id = mermaidId('p', i + 1);
    ids.set(p.key, id);
    if (p.box !== box) {
      if (box !== undefined) lines.push('    end');
      // `transparent` first: Mermaid takes a box's first word for its colour when it names one.
      if (p.box !== undefined) lines.push(`    box transparent ${mermaidText(p.box, 60)}`);
      box = p.box;
    }
    lines.push(`    ${box !== undefined ? '    ' : ''}${p.kind ?? 'participant'} ${id} as ${mermaidText(p.label, 60)}`);
  });
  if (box !== undefined) lines.push('    end');
  const idOf = (key: string): string => {
    const id = ids.get(key);
    if (!id) throw new Error(`sequence diagram: no participant "${key}"`);
    return id;
  };
  const emit = (items: SequenceItem[], indent: string): void => {
    for (const it of items) {
      if (it.type === 'message') {
        lines.push(`${indent}${idOf(it.from)}${ARROWS[it.arrow ?? 'solid']}${idOf(it.to)}: ${mermaidText(it.text, 120)}`);
      } else if (it.type === 'note') {
        const over = it.over.map(idOf);
        const text = (Array.isArray(it.text) ? it.text : [it.text]).map((t) => mermaidText(t, 160)).join('<br/>');
        lines.push(`${indent}Note over ${over.slice(0, 2).join(',')}: ${text}`);
      } else {
        lines.push(`${indent}loop ${mermaidText(it.text, 80)}`);
        emit(it.items, `${indent}    `);
        lines.push(`${indent}end`);
      }
    }
  };
  emit(d.items, '    ');
  return lines.join('\n');
}

export interface FlowNode {
  key: string;
  label: string;
  shape?: 'box' | 'round' | 'stadium' | 'cylinder';
  group?: string;
}

export interface FlowEdge {
  from: string;
  to: string;
  label?: string;
  dotted?: boolean;
}

export interface FlowGroup {
  key: string;
  label: string;
}

export interface FlowchartDiagram {
  direction: 'LR' | 'TB';
  groups: FlowGroup[];
  nodes: FlowNode[];
  edges: FlowEdge[];
}

const SHAPES = { box: ['[', ']'], round: ['(', ')'], stadium: ['([', '])'], cylinder: ['[(', ')]'] } as const;

export function renderFlowchart(d: FlowchartDiagram): string {
  const nodeIds = new Map<string, string>();
  d.nodes.forEach((n, i) => nodeIds.set(n.key, mermaidId('n', i + 1)));
  const lines = [`flowchart ${d.direction}`];
  const node = (n: FlowNode): string => {
    const [open, close] = SHAPES[n.shape ?? 'box'];
    return `${nodeIds.get(n.key)}${open}"${mermaidText(n.label, 80)}"${close}`;
  };
  d.groups.forEach((g, gi) => {
    lines.push(`    subgraph ${mermaidId('g', gi + 1)}["${mermaidText(g.label, 60)}"]`);
    for (const n of d.nodes.filter((x) => x.group === g.key)) lines.push(`        ${node(n)}`);
    lines.push('    end');
  });
  for (const n of d.nodes.filter((x) => !x.group || !d.groups.some((g) => g.key === x.group))) lines.push(`    ${node(n)}`);
  for (const e of d.edges) {
    const a = nodeIds.get(e.from);
    const b = nodeIds.get(e.to);
    if (!a || !b) throw new Error(`flowchart: edge ${e.from} -> ${e.to} names a missing node`);
    const arrow = e.dotted ? '-.-' : '---';
    lines.push(e.label ? `    ${a} ${arrow}|"${mermaidText(e.label, 60)}"| ${b}` : `    ${a} ${arrow} ${b}`);
  }
  return lines.join('\n');
}
