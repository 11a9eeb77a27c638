/**
 * report.md: title, summary, what was captured, the topology, one section per story (narrative,
 * evidence, sequence diagram), findings with what to check, flows, NAT bindings, the traffic not told
 * as a story, and a glossary. Diagrams are kept as Mermaid text until the very end, so the same
 * document can carry Mermaid blocks or rendered images.
 */
import { basename } from 'node:path';
import { clockText } from './clock.js';
import type { Analysis, Finding, Flow, NatBinding } from '../correlate/model.js';
import type { EvidenceList } from './evidence.js';
import { conntrackLines } from '../correlate/nat-table.js';
import { overviewOf, SILENT_DROP_WORDS, type FindingsOverview } from '../correlate/findings.js';
import { durationText } from '../correlate/groups.js';
import { mdCell, mdCode, mdText } from './escape.js';
import { maxOf, minOf } from './arrays.js';
import { renderFlowchart, renderSequence } from './mermaid.js';
import { buildStories, type Story } from './stories.js';
import { narrate, storyTitle, type NarrativeContext } from './narrate.js';
import { storySequence } from './sequence.js';
import { topologyDiagram } from './topology-diagram.js';
import { GLOSSARY } from './glossary.js';
import type { HopsOf } from './facts.js';
import { Namer } from './names.js';
import { connStateWords } from './conn-state.js';
import { glanceOf } from './glance.js';
import type { Family, SampledTraffic } from './exemplars.js';
import { percentile } from './facts.js';
import { plural } from '../correlate/plural.js';

const MAX_STORIES = 15;
/** Rows of a table a person reads; the rest is counted and left to analysis.json. */
export const MAX_ROWS = 50;

export interface Diagram {
  /** File-name safe, unique within the report: `topology`, `story-3`. */
  id: string;
  caption: string;
  mermaid: string;
}

export type Block = { type: 'text'; text: string } | { type: 'diagram'; diagram: Diagram };

export interface ReportDocument {
  title: string;
  blocks: Block[];
  diagrams: Diagram[];
}

export interface ReportInput {
  analysis: Analysis;
  hopsOf: HopsOf;
  names?: Namer;
  title?: string;
  /** Where the captures part from a scenario's expectations, as sentences (from diff). */
  expectations?: Expectations;
  generator?: string;
  /** Set when `analysis` holds exemplars of the traffic only: what all of it was. */
  sampled?: SampledTraffic;
  /**
   * Set when `analysis.findings` holds only those the stories cite (a report of exemplars): what
   * all of them were, as overviewOf(every finding, MAX_ROWS) gives.
   */
  findings?: FindingsOverview;
}

export interface Expectations {
  scenario: string;
  agree: boolean;
  sentences: string[];
  drops?: string[];
  /** Why the captures were not compared with the scenario. */
  notCompared?: string;
}

const ADVICE: Record<string, string> = {
  'dropped-at-host':
    'Check `sysctl net.ipv4.ip_forward` (must be 1 to route between a bridge and the uplink), the filter FORWARD chain and its policy (`iptables -L FORWARD -v -n`: the counters of a DROP rule that grow with your test are the culprit), and that the route to the destination leaves where you expect (`ip route get ADDRESS`).',
  'unnatted-private-source':
    'The packet left with a private source address, which the far side cannot answer. Check the nat POSTROUTING chain (`iptables -t nat -L POSTROUTING -v -n`) for a MASQUERADE or SNAT rule matching the container subnet and the uplink (`-s 172.17.0.0/16 ! -o docker0`).',
  retransmission:
    'Segments were lost between the capture point and the receiver, or acknowledgements were. Look for drop counters (`ip -s link`, `nstat`, `iptables -L -v -n`), a policer or statistic match, or an MTU problem on the path.',
  'nat-bypassed':
    'The answer must come back through the host for conntrack to reverse the DNAT. Either pass bridged traffic through iptables (`modprobe br_netfilter; sysctl -w net.bridge.bridge-nf-call-iptables=1`, what Docker sets), or MASQUERADE the hairpin traffic (`iptables -t nat -A POSTROUTING -s SUBNET -d SERVER -p tcp --dport PORT -j MASQUERADE`) so that the server answers the host. `conntrack -L` shows the DNAT entry with no reply seen.',
  'no-reply':
    'Nothing answered. Check that the destination exists and listens, that a filter did not eat the answer, and whether the answer was simply not captured (the captures cover only some interfaces).',
};

/** A SYN to the host met with silence: the filter chains, not forwarding, are the place to look. */
const SILENT_SYN_ADVICE =
  'Watch the counters while you try again: `iptables -t nat -L PREROUTING -v -n` (a DNAT rule whose counter grows means the port is published and the packets went on to FORWARD), then `iptables -L FORWARD -v -n` (a policy DROP with no ACCEPT rule for the container\'s address and port: Docker puts one in its DOCKER chain, and a firewall reload can remove it), and `iptables -L INPUT -v -n` when nothing is published on that port.';

function adviceFor(f: Finding): string | undefined {
  if (f.code === 'dropped-at-host' && f.message.includes(SILENT_DROP_WORDS)) return SILENT_SYN_ADVICE;
  return ADVICE[f.code];
}

function severityWord(f: Finding): string {
  return f.severity === 'error' ? 'Error' : f.severity === 'warning' ? 'Warning' : 'Note';
}

function inventory(a: Analysis): string[] {
  const lines = ['## What was captured', '', '| capture | format | packets | interfaces | time span |', '|---|---|---:|---|---|'];
  for (const c of a.captures) {
    const span = c.start && c.end ? durationText(Math.round((Number(c.end) - Number(c.start)) * 1e9)) : '';
    lines.push(
      `| ${mdCode(basename(c.file), true)} | ${c.format} | ${c.packets} | ${c.interfaces.map((i) => `${mdCode(i.name, true)} (${i.packets})`).join(', ')} | ${span} |`,
    );
  }
  if (a.hosts.length > 1) {
    lines.push('', '| host | captures | clock against the first host |', '|---|---|---|');
    for (const h of a.hosts) lines.push(`| ${mdCode(h.name, true)} | ${h.files.map((f) => mdCode(basename(f), true)).join(', ')} | ${h === a.hosts[0] ? 'the first host' : mdText(clockText(h))} |`);
  }
  lines.push('', '| interface | role | how the role is known | packets |', '|---|---|---|---:|');
  const how = { name: 'from its name', behaviour: 'from the traffic it carried', given: 'given by the user' } as const;
  for (const i of a.interfaces) lines.push(`| ${mdCode(i.name, true)} | ${i.role} | ${i.roleSource ? how[i.roleSource] : ''} | ${i.packets ?? ''} |`);
  if (a.limitations && a.limitations.length > 0) {
    lines.push('', '**What these captures cannot tell:**', '');
    for (const l of a.limitations) lines.push(`- ${mdText(l)}`);
  }
  return lines;
}

function summaryParagraph(a: Analysis, stories: Story[], ctx: NarrativeContext, findings: FindingsOverview, sampled?: SampledTraffic): string {
  const packets = a.captures.reduce((n, c) => n + c.packets, 0);
  const starts = a.captures.flatMap((c) => (c.start ? [Number(c.start)] : []));
  const ends = a.captures.flatMap((c) => (c.end ? [Number(c.end)] : []));
  const span = starts.length > 0 ? durationText(Math.round((maxOf(ends) - minOf(starts)) * 1e9)) : 'no time';
  const told = stories.filter((s) => s.kind !== 'neighbour');
  const dropped = sampled?.dropped ?? a.journeys.filter((j) => j.fate === 'dropped').length;
  const nat = sampled?.translated ?? a.journeys.filter((j) => j.steps.some((s) => s.nat)).length;
  const parts = [
    `${packets} packets on ${a.interfaces.length} interface${a.interfaces.length === 1 ? '' : 's'} (${a.interfaces.map((i) => mdCode(i.name)).join(', ')}) over ${span}`,
    `are ${sampled?.journeys ?? a.journeys.length} distinct packets once the copies of each on several interfaces are joined`,
  ];
  let s = `The ${parts.join(' ')}.`;
  if (sampled) {
    s +=
      ` Too many to tell one by one: the stories are told from exemplars, ${sampled.kept} packets kept as they passed` +
      ` (the first conversations of each kind, the first that failed, the slowest), and every count in this report covers all ${sampled.journeys}.` +
      ` The exemplars tell ${told.length} ${told.length === 1 ? 'story' : 'stories'}`;
  } else {
    s += ` They tell ${told.length} ${told.length === 1 ? 'story' : 'stories'}`;
  }
  const titles = told.slice(0, 4).map((x) => mdText(storyTitle(x, ctx)));
  s += titles.length > 0 ? `: ${titles.join('; ')}${told.length > 4 ? '; and more' : ''}.` : '.';
  if (nat > 0) s += ` ${nat} packet${nat === 1 ? ' was' : 's were'} rewritten by NAT on the way.`;
  if (dropped > 0) s += ` ${dropped} died inside the host.`;
  const { errors, warnings } = findings;
  s += errors + warnings > 0 ? ` The findings below list ${errors} error${errors === 1 ? '' : 's'} and ${warnings} warning${warnings === 1 ? '' : 's'}.` : ' Nothing went wrong that the captures can show.';
  return s;
}

export function buildReport(input: ReportInput): ReportDocument {
  const { analysis: a, hopsOf, sampled } = input;
  const names = input.names ?? new Namer();
  // The host, by what the analysis learnt of its addresses, where nothing named them already.
  for (const addr of a.hostAddresses ?? []) if (names.nameOf(addr) === undefined) names.add(addr, 'host');
  const roleOf = new Map(a.interfaces.map((i) => [i.name, i.role]));
  const ctx: NarrativeContext = { analysis: a, hopsOf, names, role: (i) => roleOf.get(i) ?? 'unknown' };
  const stories = buildStories({ analysis: a, hopsOf });
  const findings = input.findings ?? overviewOf(a.findings, MAX_ROWS);
  const blocks: Block[] = [];
  const diagrams: Diagram[] = [];
  const page: Page = {
    text: (...lines) => {
      blocks.push({ type: 'text', text: lines.join('\n') });
    },
    diagram: (d) => {
      diagrams.push(d);
      blocks.push({ type: 'diagram', diagram: d });
    },
  };

  const title = input.title ?? defaultTitle(a);
  page.text(`# ${mdText(title)}`, '', summaryParagraph(a, stories, ctx, findings, sampled));
  if (input.expectations) againstScenario(page, input.expectations);
  page.text(...inventory(a));
  topologySection(page, a, hopsOf, names);
  if ((sampled?.flows ?? a.flows.length) > MAX_STORIES) page.text(...(sampled?.glance ?? glanceOf(a.flows, a.journeys)).markdown());
  const untold = storySections(page, stories, ctx, sampled);
  otherTraffic(page, untold, ctx, sampled);
  findingsSection(page, findings);
  flowsSection(page, sampled ? { flows: sampled.largestFlows, count: sampled.flows } : { flows: a.flows, count: a.flows.length });
  natSection(page, sampled ? { nat: sampled.firstNatBindings, count: sampled.natBindings } : { nat: a.nat ?? [], count: a.nat?.length ?? 0 });

  const body = blocks.map((b) => (b.type === 'text' ? b.text : b.diagram.mermaid)).join('\n');
  const terms = GLOSSARY.filter((g) => g.when.test(body));
  if (terms.length > 0) page.text('## Glossary', '', ...terms.map((g) => `- **${g.term}**: ${g.text}`));
  page.text('', `---`, `*Written by ${mdText(input.generator ?? 'pcap-narrator')} from ${a.captures.map((c) => mdCode(basename(c.file))).join(', ')}.*`);
  return { title, blocks, diagrams };
}

/** Where the sections of the report go, in order. */
interface Page {
  text(...lines: string[]): void;
  diagram(d: Diagram): void;
}

function againstScenario(page: Page, e: Expectations): void {
  if (e.notCompared !== undefined) {
    page.text('## Against the scenario', '', mdText(e.notCompared));
    return;
  }
  page.text(
    '## Against the scenario',
    '',
    e.agree
      ? `The captures tell the same story as the scenario ${mdCode(basename(e.scenario))} predicts: every journey it expects was seen, on the same interfaces, with the same rewrites and fates.`
      : `The captures part from what the scenario ${mdCode(basename(e.scenario))} predicts:`,
    '',
    ...e.sentences.map((s) => `- ${mdText(s)}`),
  );
  if (e.drops && e.drops.length > 0) {
    page.text(
      'Where the scenario\'s model says packets die, and why (the reasons a capture alone cannot show):',
      '',
      ...e.drops.map((d) => `- ${mdText(d, 600)}`),
    );
  }
}

function topologySection(page: Page, a: Analysis, hopsOf: HopsOf, names: Namer): void {
  const topo = topologyDiagram(a, hopsOf, names);
  if (!topo) return;
  page.text('## Topology', '', 'Interfaces grouped by where they live, the links packets were seen to cross (with NAT where it happened), the addresses that spoke behind each interface, and the outside beyond the uplink.');
  page.diagram({ id: 'topology', caption: 'Topology seen in the captures', mermaid: renderFlowchart(topo) });
}

/** One section per chosen story, in the order they began; returns the stories not told. */
function storySections(page: Page, stories: Story[], ctx: NarrativeContext, sampled?: SampledTraffic): Story[] {
  const candidates = stories.filter((s) => s.kind !== 'neighbour');
  const chosen = new Set([...candidates].sort((x, y) => y.weight - x.weight || x.firstNs - y.firstNs).slice(0, MAX_STORIES));
  const told = candidates.filter((s) => chosen.has(s));
  page.text('## What happened', '', told.length > 0 ? 'One section per story, in the order they began. Each claim cites its frame as `file#frame`; the lines are what `pcap-narrator read` prints for them.' : 'The captures hold no conversation to tell.');
  told.forEach((s, i) => {
    const n = narrate(s, ctx);
    if (sampled) n.paragraphs.push(...allTrafficLike(s, sampled, ctx, n.evidence));
    page.text(`### ${i + 1}. ${mdText(n.title)}`, '', ...n.paragraphs.flatMap((p) => [p, '']));
    const seq = storySequence(s, { hopsOf: ctx.hopsOf, names: ctx.names });
    if (seq) page.diagram({ id: `story-${i + 1}`, caption: n.title, mermaid: renderSequence(seq) });
    if (n.evidence.size > 0) page.text('<details><summary>Evidence</summary>', '', ...n.evidence.markdown(), '', '</details>');
  });
  return stories.filter((s) => !chosen.has(s));
}

function otherTraffic(page: Page, untold: Story[], ctx: NarrativeContext, sampled?: SampledTraffic): void {
  if (untold.length > 0) {
    page.text(
      '## Other traffic',
      '',
      'Traffic not told as a story above (kernel housekeeping, or less telling than the stories shown), counted:',
      '',
      '| what | packets | interfaces | fate |',
      '|---|---:|---|---|',
      ...untold.slice(0, MAX_ROWS).map((s) => {
        const js = [...s.journeys, ...s.arp];
        const ifaces = [...new Set(js.flatMap((j) => j.hops.map((h) => h.interface)))];
        const fates = [...new Set(js.map((j) => j.fate))].join(', ');
        return `| ${mdCell(storyTitle(s, ctx))} | ${js.length} | ${ifaces.map((x) => mdCode(x, true)).join(', ')} | ${fates} |`;
      }),
    );
  }
  if (untold.length > MAX_ROWS) page.text(`And ${untold.length - MAX_ROWS} more conversations, counted in the flows below.`);
  if (sampled) {
    page.text(
      `The table lists what was kept as exemplars; ${sampled.journeys - sampled.kept} more packets of the same kinds were counted as they passed and let go` +
        `${sampled.uncounted > 0 ? ` (${sampled.uncounted} of them of kinds first seen after the first ${sampled.families}, counted only in the totals)` : ''}: ` +
        `${sampled.flows > MAX_STORIES ? 'At a glance above sums up every conversation, and ' : ''}the flows below are the largest of all.`,
    );
  }
}

/**
 * What a story told from exemplars stands for: its own packets, kept or not, and every conversation
 * of its family, with the times they took through the host and the slowest of them, cited.
 */
function allTrafficLike(s: Story, sampled: SampledTraffic, ctx: NarrativeContext, ev: EvidenceList): string[] {
  const first = s.journeys[0] ?? s.arp[0];
  const family = first ? sampled.familyOf(first.id) : undefined;
  if (!family) return [];
  const kept = s.journeys.length + s.arp.length + s.dns.length;
  const own = s.flows.reduce((n, f) => n + (sampled.flowJourneys(f.id) ?? 0), 0);
  const out: string[] = [];
  let p = `**All traffic like this.** This story is told from exemplars: ${kept} of its packets are kept`;
  p +=
    own > s.journeys.length
      ? `, of the ${own} its conversation${s.flows.length === 1 ? '' : 's'} carried: the numbers above are for those kept (the first ones, and how ${s.flows.length === 1 ? 'it' : 'they'} ended).`
      : '.';
  p += ` ${familyText(family)}`;
  const transits = family.transits.sorted();
  if (transits.length > 0) {
    const slow = family.slowest ? ctx.hopsOf(family.slowest.work.journey) : [];
    p +=
      ` Through the host they took a median ${durationText(percentile(transits, 50))}, 90th percentile ${durationText(percentile(transits, 90))}` +
      `${family.slowest ? `, the slowest ${durationText(family.slowest.ns)} (a ${mdText(family.slowest.work.journey.summary)} ${ev.cite(slow[0])} to ${ev.cite(slow.at(-1))})` : ''}.`;
  }
  out.push(p);
  return out;
}

/** "It is one of 14203 conversations of the same kind: ..." */
function familyText(f: Family): string {
  const service = f.service === undefined ? '' : f.kind === 'tcp' || f.kind === 'udp' ? ` to port ${f.service}` : '';
  const along = f.path.map((x) => mdCode(x)).join(' → ');
  const what = f.flows === 1 ? 'It is the only conversation' : f.flows > 0 ? `It is one of ${f.flows} conversations` : `It is one of ${plural(f.journeys, 'packet')}`;
  const counts = [`${plural(f.journeys, 'packet')} in all`];
  if (f.dropped > 0) counts.push(`${f.dropped} dropped in the host`);
  if (f.retransmissions > 0) counts.push(`${f.retransmissions} retransmitted`);
  return `${what} of this kind (${f.kind.toUpperCase()} from ${mdCode(f.src)}${service}, first seen along ${along}${f.translated ? ' with NAT' : ''}): ${counts.join(', ')}.`;
}

function findingsSection(page: Page, findings: FindingsOverview): void {
  page.text('## Findings', '');
  if (findings.count === 0) page.text('None: every request the captures show was answered, nothing was dropped, no private address leaked.');
  const { shown, hidden, left } = findings.forPeople;
  for (const f of shown) {
    const advice = adviceFor(f);
    page.text(`- **${severityWord(f)}** (${mdCode(f.code)}): ${mdText(f.message, 2000)}${f.journeys ? ` Journeys ${f.journeys.slice(0, 12).join(', ')}${f.journeys.length > 12 ? ', …' : ''}.` : ''}${advice ? `\n  *What to check:* ${advice}` : ''}`);
  }
  if (hidden > 0) {
    page.text('', `And ${hidden} more findings (${left.map((l) => `${l.count} ${mdCode(l.code)}`).join(', ')}), every one in the analysis document (\`--json\`).`);
  }
}

/** The flows table of `all.count` flows, from `all.flows`: every one, or at least the MAX_ROWS largest. */
function flowsSection(page: Page, all: { flows: Flow[]; count: number }): void {
  const shownFlows = all.flows.length > MAX_ROWS ? [...all.flows].sort((x, y) => y.packets - x.packets || x.id - y.id).slice(0, MAX_ROWS).sort((x, y) => x.id - y.id) : [...all.flows].sort((x, y) => x.id - y.id);
  if (all.count > 0) {
    page.text(
      '## Flows',
      '',
      'Both directions of each conversation, and both sides of its NAT, as one record.',
      '',
      '| # | protocol | client | server | translations | packets | bytes | state | Community ID |',
      '|---:|---|---|---|---|---:|---:|---|---|',
      ...shownFlows.map(
        (f) =>
          `| ${f.id} | ${f.protocol} | ${mdCode(f.client, true)} | ${mdCode(f.server, true)} | ${f.translations.map((t) => `${t.type.toUpperCase()} ${mdCode(`${t.before} -> ${t.after}`, true)} on ${mdCode(t.interface, true)}`).join('<br>')} | ${f.packets} | ${f.bytes} | ${f.state ? `${mdCell(connStateWords(f.state))} (${f.state})` : ''} | ${mdCode(f.communityId, true)} |`,
      ),
    );
  }
  if (all.count > shownFlows.length) page.text(`The ${shownFlows.length} largest of ${all.count} flows; \`analysis.json\` (\`--json\`) has them all.`);
}

/** The NAT table of `all.count` bindings, from the first of them in `all.nat` (in flow order). */
function natSection(page: Page, all: { nat: NatBinding[]; count: number }): void {
  if (all.count === 0) return;
  page.text(
    '## NAT bindings',
    '',
    'The translations the captures prove, as `conntrack -L` would list them (original tuple, then reply tuple).',
    '',
    '```text',
    ...conntrackLines(all.nat.slice(0, MAX_ROWS)).map((l) => l.replace(/```/g, '` ` `')),
    '```',
    ...(all.count > MAX_ROWS ? ['', `${all.count - MAX_ROWS} more in \`analysis.json\`.`] : []),
  );
}

function defaultTitle(a: Analysis): string {
  const ifaces = a.interfaces.map((i) => i.name);
  return `What happened on ${ifaces.slice(0, 4).join(', ')}${ifaces.length > 4 ? ` and ${ifaces.length - 4} more interfaces` : ''}`;
}

/**
 * The Markdown text. With `images`, each diagram is an image reference to its rendered file, with
 * the Mermaid source kept in a folded block; without, the Mermaid blocks stay for the reader's own
 * renderer (GitHub, GitLab, MkDocs Material and Docusaurus render them).
 */
export function toMarkdown(doc: ReportDocument, images?: Map<string, string>): string {
  const out: string[] = [];
  for (const b of doc.blocks) {
    if (b.type === 'text') {
      out.push(b.text, '');
      continue;
    }
    const file = images?.get(b.diagram.id);
    if (file) {
      out.push(`![${mdText(b.diagram.caption)}](${encodeURI(file)})`, '', '<details><summary>Mermaid source</summary>', '', '```mermaid', b.diagram.mermaid, '```', '', '</details>', '');
    } else {
      out.push('```mermaid', b.diagram.mermaid, '```', '');
    }
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}
