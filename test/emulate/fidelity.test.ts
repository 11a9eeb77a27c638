// Fidelity against the kernel: every sample's scenario, emulated, tells the same story as its real
// recording. `diff` does the comparison, with the rules stated at the top of src/correlate/diff.ts
// (kernel noise, bridged-stretch order, neighbour-cache ARP, unclean byte counts) and nothing else.
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runDiff } from '../../src/cli/diff.js';
import { REPO } from '../helpers/tools.js';

const samples = existsSync(join(REPO, 'samples'))
  ? readdirSync(join(REPO, 'samples')).filter((s) => existsSync(join(REPO, 'samples', s, 'scenario.txt')) && existsSync(join(REPO, 'samples', s, 'capture.pcapng')))
  : [];
const ifaceMaps: Record<string, string> = { 'any-capture': '2=eth0,3=docker0,4=veth1a2b3c4' };

describe('emulated scenarios against their real recordings', () => {
  for (const s of samples) {
    it(`${s}: diff of the scenario and the capture agrees`, async () => {
      const dir = join(REPO, 'samples', s);
      const { result } = await runDiff(join(dir, 'scenario.txt'), [join(dir, 'capture.pcapng')], { ifaceMap: ifaceMaps[s] });
      expect(result.sentences, result.sentences.join('\n')).toEqual([]);
      expect(result.agree).toBe(true);
      expect(result.compared).toBeGreaterThan(0);
    });
  }

  it('a scenario without its MASQUERADE line is told apart from the real capture, naming the translation', async () => {
    const dir = join(REPO, 'samples', 'namespaces-tutorial');
    const tmp = mkdtempSync(join(tmpdir(), 'pn-fidelity-'));
    const scenario = join(tmp, 'scenario.txt');
    writeFileSync(scenario, readFileSync(join(dir, 'scenario.txt'), 'utf8').split('\n').filter((l) => !l.includes('MASQUERADE')).join('\n'));
    const { result } = await runDiff(scenario, [join(dir, 'capture.pcapng')]);
    expect(result.agree).toBe(false);
    expect(result.sentences.join('\n')).toMatch(/source NAT 10\.0\.0\.2 -> 203\.0\.113\.108 on wlan0/);
  });

  it('the real capture against a scenario that expects MASQUERADE where none happened names the rule', async () => {
    const dir = join(REPO, 'samples', 'namespaces-tutorial');
    const tmp = mkdtempSync(join(tmpdir(), 'pn-fidelity-'));
    // Move MASQUERADE before the leaking ping: the scenario now expects that ping translated too.
    const lines = readFileSync(join(dir, 'scenario.txt'), 'utf8').split('\n');
    const masq = lines.find((l) => l.includes('MASQUERADE'))!;
    const rest = lines.filter((l) => l !== masq);
    const at = rest.findIndex((l) => l.startsWith('sysctl'));
    rest.splice(at + 1, 0, masq);
    const scenario = join(tmp, 'scenario.txt');
    writeFileSync(scenario, rest.join('\n'));
    const { result } = await runDiff(scenario, [join(dir, 'capture.pcapng')]);
    expect(result.agree).toBe(false);
    expect(result.sentences.join('\n')).toMatch(/expected source NAT to 203\.0\.113\.108 on wlan0, observed source 10\.0\.0\.2 leaving wlan0: no MASQUERADE or SNAT rule matched \(the scenario's rule: -A POSTROUTING -o wlan0 -j MASQUERADE/);
  });
});
