import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureError, combineCaptures, encodePcapng, frameTimeNs, type Frame } from '../../src/capture/index.js';
import { CORPUS, REPO } from '../helpers/tools.js';
import { readAll } from './read-all.js';

const SAMPLES = join(REPO, 'samples');
const SAMPLE_NAMES = readdirSync(SAMPLES).filter((n) => existsSync(join(SAMPLES, n, 'capture.pcapng')));
const sample = (name: string): string => join(SAMPLES, name, 'capture.pcapng');
const GENERATOR = join(CORPUS, 'pcapng-test-generator');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'combine-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function read(path: string): Promise<Awaited<ReturnType<typeof readAll>> & { info: NonNullable<Awaited<ReturnType<typeof readAll>>['info']> }> {
  const r = await readAll(path);
  expect(r.error).toBeUndefined();
  if (r.info === undefined) throw new Error(`${path} did not open`);
  return { ...r, info: r.info };
}

/** What a frame carries that a rewrite must keep, with its interface by name. */
const essence = (f: Frame): unknown[] => [f.iface.name, frameTimeNs(f), Buffer.from(f.data).toString('hex'), f.origLen, f.direction, f.comments];

describe('combineCaptures', () => {
  it.each(SAMPLE_NAMES)('writes the lab recording %s again byte for byte (IDB options, nanoseconds, order)', async (name) => {
    const { info } = await read(sample(name));
    const out = join(dir, `${name}.pcapng`);
    const result = await combineCaptures([{ path: sample(name) }], out, { comment: info.comments[0], application: 'pcap-narrator lab' });
    expect(result.interfaces).toEqual(info.interfaces.map((i) => i.name));
    expect(result.packets).toBe(info.packets);
    expect(Buffer.compare(readFileSync(out), readFileSync(sample(name)))).toBe(0);
  });

  it('puts frames that a file holds out of time order, even on one interface, in time order', async () => {
    // dumpcap and tcpdump -i any write what several CPUs timestamped, now and then out of order.
    const { frames, info } = await read(sample('hairpin'));
    // Latest first; frames at the same time stay in file order, which a stable sort keeps.
    const backwards = [...frames].sort((x, y) => (frameTimeNs(x) > frameTimeNs(y) ? -1 : frameTimeNs(x) < frameTimeNs(y) ? 1 : 0));
    const reversed = join(dir, 'hairpin-reversed.pcapng');
    const interfaces = info.interfaces.map((i) => ({ name: i.name, linktype: i.linktype, snaplen: i.snaplen, options: i.options }));
    const written = backwards.map((f) => ({ iface: f.iface.index, tsNs: frameTimeNs(f), data: f.data, origLen: f.origLen }));
    await writeFile(reversed, encodePcapng(interfaces, written, { comment: info.comments[0], application: 'pcap-narrator lab' }));
    const out = join(dir, 'hairpin-sorted.pcapng');
    await combineCaptures([{ path: reversed }], out, { comment: info.comments[0], application: 'pcap-narrator lab' });
    expect(Buffer.compare(readFileSync(out), readFileSync(sample('hairpin')))).toBe(0);
  });

  it('renames each input`s interfaces, numbers them in input order, and keeps input order for equal times', async () => {
    const path = sample('embedded-dns');
    const source = await read(path);
    const out = join(dir, 'twice.pcapng');
    const result = await combineCaptures([{ path, rename: (n) => `a:${n}` }, { path, rename: (n) => `b:${n}` }], out);
    expect(result.interfaces).toEqual(['a:c1:lo', 'a:c1:eth0', 'b:c1:lo', 'b:c1:eth0']);
    expect(result.packets).toBe(2 * source.frames.length);
    const back = await read(out);
    expect(back.info.interfaces.map((i) => [i.index, i.name, i.linktype, i.snaplen, i.description])).toEqual([
      [0, 'a:c1:lo', 1, 262144, 'Loopback'],
      [1, 'a:c1:eth0', 1, 262144, undefined],
      [2, 'b:c1:lo', 1, 262144, 'Loopback'],
      [3, 'b:c1:eth0', 1, 262144, undefined],
    ]);
    expect(back.info.interfaces[0].options).toEqual(source.info.interfaces[0].options);
    expect(back.info.comments).toEqual([]);
    const sorted = [...source.frames].sort((x, y) => (frameTimeNs(x) < frameTimeNs(y) ? -1 : frameTimeNs(x) > frameTimeNs(y) ? 1 : 0));
    expect(back.frames.map(essence)).toEqual(sorted.flatMap((f) => [essence(f), essence(f)]).map((e, i) => [`${i % 2 === 0 ? 'a' : 'b'}:${e[0] as string}`, ...e.slice(1)]));
  });

  it('turns a classic pcap (tcpdump -i any, Linux cooked v2) into one pcapng interface without inventing directions', async () => {
    const path = join(CORPUS, 'zeek', 'Traces', 'linux_dlt_sll2.pcap');
    const source = await read(path);
    const out = join(dir, 'any.pcapng');
    expect(await combineCaptures([{ path, rename: () => 'any' }], out)).toEqual({ interfaces: ['any'], packets: source.frames.length });
    const back = await read(out);
    expect(back.info.format).toBe('pcapng');
    expect(back.info.interfaces.map((i) => [i.name, i.linktype, i.snaplen, i.options])).toEqual([['any', 276, source.info.interfaces[0].snaplen, []]]);
    expect(back.frames.map(essence)).toEqual(source.frames.map((f) => ['any', ...essence(f).slice(1)]));
  });

  it('keeps every frame, direction and packet comment of the pcapng test generator`s files', async () => {
    let checked = 0;
    for (const group of ['basic', 'advanced']) {
      for (const name of readdirSync(join(GENERATOR, 'output_le', group)).filter((n) => n.endsWith('.pcapng'))) {
        const path = join(GENERATOR, 'output_le', group, name);
        const source = await readAll(path);
        if (source.error !== undefined || source.frames.length === 0) continue;
        const out = join(dir, `gen-${group}-${name}`);
        await combineCaptures([{ path }], out);
        const back = await read(out);
        const sorted = source.frames.map((f, i) => ({ f, i })).sort((x, y) => (frameTimeNs(x.f) < frameTimeNs(y.f) ? -1 : frameTimeNs(x.f) > frameTimeNs(y.f) ? 1 : x.i - y.i));
        expect(back.frames.map(essence), `${group}/${name}`).toEqual(sorted.map(({ f }) => essence(f)));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('keeps numeric IDB options of a big-endian section as numbers (if_speed 1 Gbit/s), not as swapped bytes', async () => {
    const le = await read(join(GENERATOR, 'output_le', 'basic', 'test008.pcapng'));
    const be = await read(join(GENERATOR, 'output_be', 'basic', 'test008.pcapng'));
    const speed = (options: readonly { code: number; value: Uint8Array }[] | undefined): string[] =>
      (options ?? []).filter((o) => o.code === 8).map((o) => Buffer.from(o.value).toString('hex'));
    expect(speed(le.info.interfaces[0].options)).toEqual(['00ca9a3b00000000']);
    expect(be.info.interfaces.map((i) => i.options)).toEqual(le.info.interfaces.map((i) => i.options));
    const out = join(dir, 'be.pcapng');
    await combineCaptures([{ path: join(GENERATOR, 'output_be', 'basic', 'test008.pcapng') }], out, { bigEndian: true });
    const back = await read(out);
    expect(back.info.interfaces.map((i) => i.options)).toEqual(le.info.interfaces.map((i) => i.options));
  });

  it('refuses a damaged input with its file, byte offset and reason, and writes nothing', async () => {
    const bytes = readFileSync(sample('bridge-ping'));
    const cut = join(dir, 'cut.pcapng');
    await writeFile(cut, bytes.subarray(0, bytes.length - 10));
    const out = join(dir, 'cut-out.pcapng');
    const err = await combineCaptures([{ path: sample('egress-nat') }, { path: cut }], out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureError);
    const e = err as CaptureError;
    expect(e.file).toBe(cut);
    expect(e.offset).toBeGreaterThan(0);
    expect(e.offset).toBeLessThan(bytes.length);
    expect(e.reason).toMatch(/^file ends inside an Enhanced Packet Block of \d+ bytes/);
    expect(existsSync(out)).toBe(false);
  });
});
