import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalysisWork, AnalyzeOptions } from '../correlate/analyze.js';
import type { RuleExplainer } from '../correlate/diff.js';
import type { NatRewrite } from '../correlate/model.js';
import { emulateScenario, encodeEmulated, splitByHost, type EmulatedCapture } from '../emulate/index.js';
import type { Scenario } from '../scenario/index.js';
import { runAnalyze } from './analyze.js';

/** The rule that made (or should have made) a rewrite, from the emulator's records of it. */
function emulatorRules(c: EmulatedCapture): RuleExplainer {
  return {
    natRule(type: NatRewrite['type'], _iface: string, after: string): string | undefined {
      const addr = after.replace(/^\[/, '').replace(/\]?:\d+$/, '');
      for (const r of c.records) {
        for (const w of r.rewrites) {
          if (w.type !== type || !w.rule || !w.after.startsWith(addr)) continue;
          return `${w.rule.rule}${w.rule.line !== undefined ? ` (scenario line ${w.rule.line})` : ''}`;
        }
      }
      return undefined;
    },
  };
}

/** What a scenario should produce, emulated and analyzed like a capture, with the rules behind it. */
export async function analyzeScenario(
  scenario: Scenario,
  options: AnalyzeOptions,
  seed?: number,
  /** Write the emulation as one capture per host (`emulate -o DIR/`), as per-host captures are compared. */
  perHost = false,
): Promise<{ work: AnalysisWork; rules: RuleExplainer; emulated: EmulatedCapture }> {
  const emulated = emulateScenario(scenario, seed !== undefined ? { seed } : {});
  const dir = await mkdtemp(join(tmpdir(), 'pcap-narrator-expected-'));
  try {
    const files: string[] = [];
    if (perHost) {
      for (const [host, part] of splitByHost(emulated, scenario.captures)) {
        files.push(join(dir, `${host}.pcapng`));
        await writeFile(files[files.length - 1], encodeEmulated(part, host));
      }
    } else {
      files.push(join(dir, 'expected.pcapng'));
      await writeFile(files[0], encodeEmulated(emulated));
    }
    // --host names the observed captures: the emulated ones are planned on their own.
    return { work: await runAnalyze(files, { ...options, hostOfFile: undefined }), rules: emulatorRules(emulated), emulated };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
