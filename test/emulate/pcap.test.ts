// `emulate -o F.pcap`: classic pcap that tcpdump reads and that `analyze --iface-map` reads back into
// the analysis the pcapng gives, on the bundled sample scenarios.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEmulateCommand } from '../../src/cli/emulate.js';
import { analyzeOptionsFrom, runAnalyzeStream, StreamedDocument } from '../../src/cli/analyze.js';
import { CliError, EXIT_USAGE } from '../../src/cli/exit.js';
import { emulateScenario, encodeEmulated, encodeEmulatedPcap } from '../../src/emulate/index.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { REPO, skipReason, tcpdumpLines } from '../helpers/tools.js';

const SAMPLES = join(REPO, 'samples');
const scenarioOf = (sample: string): string => join(SAMPLES, sample, 'scenario.txt');

let dir: string;
let stderr: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pn-emulate-pcap-'));
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** Emulates a sample to `name` in the scratch directory; returns the path and the --iface-map the note gave. */
async function emulateTo(sample: string, name: string): Promise<{ path: string; ifaceMap: string | undefined }> {
  const path = join(dir, name);
  stderr = '';
  await runEmulateCommand(scenarioOf(sample), path, {});
  const m = /read back with --iface-map (\S+)\n/.exec(stderr);
  return { path, ifaceMap: m?.[1] };
}

interface PcapHeader {
  magic: number;
  version: string;
  snaplen: number;
  linktype: number;
}

function pcapHeader(path: string): PcapHeader {
  const b = readFileSync(path);
  return { magic: b.readUInt32LE(0), version: `${b.readUInt16LE(4)}.${b.readUInt16LE(6)}`, snaplen: b.readUInt32LE(16), linktype: b.readUInt32LE(20) };
}

interface Hop {
  file?: string;
  srcMac?: string;
  dstMac?: string;
}

interface AnalysisDocument {
  hosts: { name: string; files: string[] }[];
  captures: { format: string; interfaces: { name: string; linktype: number }[] }[];
  interfaces: { name: string; role: string }[];
  journeys: { hops: Hop[] }[];
}

/** The `analyze --json` document, in process. */
async function analysisDocument(file: string, ifaceMap?: string): Promise<AnalysisDocument> {
  let text = '';
  let doc: StreamedDocument | undefined;
  const options = await analyzeOptionsFrom({ ifaceMap, quiet: true });
  try {
    await runAnalyzeStream([file], options, async (hosts) => {
      doc = await StreamedDocument.create(async (chunk) => {
        text += chunk.toString();
      }, hosts);
      return doc;
    });
  } finally {
    await doc?.close();
  }
  return JSON.parse(text) as AnalysisDocument;
}

/**
 * What a cooked capture cannot hold: the destination MAC (SLL2 keeps the source only, and the
 * journeys then carry neither), the file's name and format.
 */
function withoutCaptureFormat(d: AnalysisDocument): Omit<AnalysisDocument, 'captures' | 'hosts'> {
  // The captures and the hosts' files name the file, whose extension differs.
  const { captures: _, hosts: __, ...rest } = d;
  for (const j of rest.journeys) {
    for (const h of j.hops) {
      delete h.file;
      delete h.srcMac;
      delete h.dstMac;
    }
  }
  return rest;
}

const NANO_MAGIC = 0xa1b23c4d;

describe('emulate -o F.pcap', () => {
  it('several interfaces: nanosecond pcap in Linux cooked v2, with the --iface-map of the devices a real host gave them', async () => {
    const { path, ifaceMap } = await emulateTo('egress-nat', 'egress.pcap');
    expect(pcapHeader(path)).toEqual({ magic: NANO_MAGIC, version: '2.4', snaplen: 262_144, linktype: 276 });
    expect(stderr).toContain('emulate: 3 interfaces as Linux cooked v2; read back with --iface-map 4=veth1a2b3c4,3=docker0,2=eth0\n');
    // The lab's `tcpdump -i any` recording of the same topology (any-capture) found these indexes.
    const real = readFileSync(join(SAMPLES, 'any-capture', 'iface-map.txt'), 'utf8').trim().split(',').sort();
    expect(ifaceMap?.split(',').sort()).toEqual(real);
  });

  it('analyze --iface-map with the printed map gives the analysis of the pcapng', async () => {
    for (const sample of ['egress-nat', 'namespaces-tutorial', 'none-network']) {
      const { path, ifaceMap } = await emulateTo(sample, `${sample}.pcap`);
      const ng = await emulateTo(sample, `${sample}.pcapng`);
      expect(ifaceMap, sample).toBeDefined();
      const fromPcap = await analysisDocument(path, ifaceMap);
      const fromPcapng = await analysisDocument(ng.path);
      expect(fromPcap.captures[0].format).toBe('pcap');
      expect(fromPcap.journeys.length, sample).toBeGreaterThan(0);
      expect(withoutCaptureFormat(fromPcap), sample).toEqual(withoutCaptureFormat(fromPcapng));
    }
  });

  it('interfaces of several namespaces that share an index are numbered in @capture order', async () => {
    // none-network captures c1:lo and the host's lo, both ifindex 1.
    const { ifaceMap } = await emulateTo('none-network', 'none.pcap');
    expect(ifaceMap).toBe('1=c1:lo,2=docker0,3=lo');
  });

  it('an interface that carried no frame keeps its device index', async () => {
    const scenario = join(dir, 'idle.txt');
    writeFileSync(
      scenario,
      '@uplink wlan0 203.0.113.108/24 via 203.0.113.1\n@capture br0 wlan0\nip link add name br0 type bridge\nip link set dev br0 up\nping -c 1 198.51.100.8\n',
    );
    await runEmulateCommand(scenario, join(dir, 'idle.pcap'), {});
    expect(stderr).toContain('emulate: 2 interfaces as Linux cooked v2; read back with --iface-map 3=br0,2=wlan0\n');
  });

  it('one interface keeps its own link type (Ethernet for lo, as tcpdump -i lo writes) and the frames unchanged', async () => {
    const { path } = await emulateTo('host-network', 'lo.pcap');
    expect(pcapHeader(path)).toEqual({ magic: NANO_MAGIC, version: '2.4', snaplen: 262_144, linktype: 1 });
    expect(stderr).not.toContain('--iface-map');
    const c = emulateScenario(parseScenario(readFileSync(scenarioOf('host-network'), 'utf8'), 'scenario.txt'));
    const b = readFileSync(path);
    let p = 24;
    for (const f of c.frames) {
      const seconds = b.readUInt32LE(p);
      const ns = b.readUInt32LE(p + 4);
      const caplen = b.readUInt32LE(p + 8);
      expect(BigInt(seconds) * 1_000_000_000n + BigInt(ns)).toBe(f.tsNs);
      expect(b.subarray(p + 16, p + 16 + caplen).equals(Buffer.from(f.data))).toBe(true);
      p += 16 + caplen;
    }
    expect(p).toBe(b.length);
    expect(Buffer.from(encodeEmulatedPcap(c).bytes).equals(b)).toBe(true);
  });

  it('@capture any is one interface already in cooked v2; the note names the host devices its frames carry', async () => {
    const { path, ifaceMap } = await emulateTo('any-capture', 'any.pcap');
    expect(pcapHeader(path)).toEqual({ magic: NANO_MAGIC, version: '2.4', snaplen: 262_144, linktype: 276 });
    expect(stderr).toContain('emulate: any as Linux cooked v2; read back with --iface-map 2=eth0,3=docker0,4=veth1a2b3c4\n');
    const ng = await emulateTo('any-capture', 'any.pcapng');
    expect(ifaceMap).toBe(readFileSync(join(SAMPLES, 'any-capture', 'iface-map.txt'), 'utf8').trim());
    const fromPcap = await analysisDocument(path, ifaceMap);
    expect(fromPcap.interfaces.map((i) => i.name).sort()).toEqual(['docker0', 'eth0', 'veth1a2b3c4']);
    expect(withoutCaptureFormat(fromPcap)).toEqual(withoutCaptureFormat(await analysisDocument(ng.path, ifaceMap)));
  });

  it('a name not ending .pcap stays pcapng', async () => {
    for (const name of ['x.pcapng', 'x.cap', 'x.pcap.out']) {
      const { path } = await emulateTo('egress-nat', name);
      const c = emulateScenario(parseScenario(readFileSync(scenarioOf('egress-nat'), 'utf8'), scenarioOf('egress-nat')));
      expect(readFileSync(path).equals(Buffer.from(encodeEmulated(c))), name).toBe(true);
      expect(stderr).not.toContain('--iface-map');
    }
  });

  it('times past 2106 are a usage error naming the file, and nothing is written', async () => {
    const path = join(dir, 'late.pcap');
    const err = await runEmulateCommand(scenarioOf('egress-nat'), path, { quiet: true, seed: 0xffffffff }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT_USAGE);
    expect((err as CliError).message).toMatch(/late\.pcap: frame 1 is at \d+ s since 1970, past the last second a classic pcap record holds .*2106/);
    expect(existsSync(path)).toBe(false);
    // The same seed fits pcapng's 64-bit times.
    await runEmulateCommand(scenarioOf('egress-nat'), join(dir, 'late.pcapng'), { quiet: true, seed: 0xffffffff });
  });

  it('--quiet silences the note', async () => {
    await runEmulateCommand(scenarioOf('egress-nat'), join(dir, 'q.pcap'), { quiet: true });
    expect(stderr).toBe('');
  });
});

const noTcpdump = skipReason(['tcpdump']);

describe.skipIf(noTcpdump !== undefined)('tcpdump reads the emulated pcap', () => {
  if (noTcpdump) console.warn(noTcpdump);

  // tcpdump names cooked interfaces from the reading machine's own table: the name column is dropped.
  const COOKED = /^(\S+) \S+\s+(In|Out|B|M|P)\s+(.*)$/;
  const INDEX = /^\S+ \S+\s+\S+\s+ifindex (\d+) /;

  it('the same packets as the pcapng, each with its interface index and direction', async () => {
    const { path, ifaceMap } = await emulateTo('egress-nat', 'egress.pcap');
    const ng = await emulateTo('egress-nat', 'egress.pcapng');
    const indexOf = new Map((ifaceMap ?? '').split(',').map((kv) => [kv.split('=')[1], Number(kv.split('=')[0])]));
    const c = emulateScenario(parseScenario(readFileSync(scenarioOf('egress-nat'), 'utf8'), scenarioOf('egress-nat')));
    const cooked = tcpdumpLines(path, ['-nn', '-tt', '--nano']);
    const withLink = tcpdumpLines(path, ['-e', '-nn', '-tt', '--nano']);
    const plain = tcpdumpLines(ng.path, ['-nn', '-tt', '--nano']);
    expect(cooked.length).toBe(c.frames.length);
    expect(plain.length).toBe(c.frames.length);
    cooked.forEach((line, i) => {
      const m = COOKED.exec(line);
      expect(m, line).not.toBeNull();
      const [, ts, direction, rest] = m as RegExpExecArray;
      const f = c.frames[i];
      expect(`${ts} ${rest}`).toBe(plain[i]);
      expect(direction === 'Out', line).toBe(f.direction === 'out');
      expect(Number(INDEX.exec(withLink[i])?.[1]), withLink[i]).toBe(indexOf.get(c.interfaces[f.iface].name));
    });
  });

  it('one interface: the very lines of the pcapng', async () => {
    const { path } = await emulateTo('host-network', 'lo.pcap');
    const ng = await emulateTo('host-network', 'lo.pcapng');
    expect(pcapHeader(path).magic).toBe(NANO_MAGIC);
    const lines = tcpdumpLines(path, ['-nn', '-tt', '--nano']);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines).toEqual(tcpdumpLines(ng.path, ['-nn', '-tt', '--nano']));
  });
});
