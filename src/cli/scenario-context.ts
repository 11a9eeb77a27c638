import { parseScenario, ScenarioError, type Scenario } from '../scenario/index.js';
import type { AnalysisWork, AnalyzeOptions } from '../correlate/analyze.js';
import type { Expectations } from '../report/document.js';
import { diffAnalyses } from '../correlate/diff.js';
import { analyzeScenario } from './expected.js';
import { CliError, EXIT_BAD_INPUT } from './exit.js';
import { readInputText } from './captures.js';

export interface ScenarioContext {
  scenario: Scenario;
  title?: string;
  /** Address -> the name the scenario gives its owner (namespace, container, `host`, a `@dns` name). */
  names: Map<string, string>;
  /** Where the captures part from what the scenario predicts (set when the emulator can run it). */
  compare?: (work: AnalysisWork) => Promise<Expectations>;
}

export async function readScenario(file: string): Promise<Scenario> {
  const text = await readInputText(file);
  try {
    return parseScenario(text, file);
  } catch (err) {
    if (err instanceof ScenarioError) throw new CliError(err.message, EXIT_BAD_INPUT);
    throw err;
  }
}

/** Names for the addresses a scenario assigns, so reports say "c1" instead of 10.0.0.2. */
export function scenarioNames(s: Scenario): Map<string, string> {
  const names = new Map<string, string>();
  for (const step of s.steps) {
    if (step.kind === 'addr-add') {
      const owner = step.place.kind === 'netns' || step.place.kind === 'container' ? step.place.name : 'host';
      if (!names.has(step.address.address)) names.set(step.address.address, owner);
    } else if (step.kind === 'dns') {
      if (!names.has(step.address)) names.set(step.address, step.name);
    } else if (step.kind === 'uplink') {
      names.set(step.address.address, 'host');
      if (!names.has(step.gateway)) names.set(step.gateway, 'gateway');
    }
  }
  return names;
}

export async function loadScenarioContext(file: string, options: AnalyzeOptions = {}): Promise<ScenarioContext> {
  const scenario = await readScenario(file);
  return {
    scenario,
    title: scenario.title,
    names: scenarioNames(scenario),
    compare: async (work) => {
      // Read at comparison time: the caller may have added the scenario's host addresses meanwhile.
      // Captures from several hosts are compared with the emulation written the same way, one per host.
      const expected = await analyzeScenario(scenario, { ...options, evidenceLines: false }, undefined, work.analysis.hosts.length > 1);
      const r = diffAnalyses(expected.work, work, expected.rules);
      // Where the model says packets die, and why: the reasons a capture cannot show.
      const drops = new Map<string, number>();
      const firstOf = new Map<string, string>();
      for (const d of expected.emulated.drops) {
        const text = `in ${d.namespace}: ${d.reason}${d.rule ? ` (rule ${d.rule.rule}${d.rule.line !== undefined ? `, scenario line ${d.rule.line}` : ''})` : ''}; first: ${d.packet}`;
        const key = text.replace(/; first: .*$/, '');
        if (!drops.has(key)) drops.set(key, 0);
        drops.set(key, drops.get(key)! + 1);
        if (drops.get(key) === 1) firstOf.set(key, text);
      }
      return {
        scenario: file,
        agree: r.agree,
        sentences: [...r.sentences, ...(r.notes ?? []).map((n) => `Note: ${n}`)],
        drops: [...drops].map(([k, n]) => `${n} × ${firstOf.get(k) ?? k}`),
      };
    },
  };
}
