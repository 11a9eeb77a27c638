// The committed samples are read by `pcap-narrator read` from start to end without an error, every
// frame decoded without a malformed layer, in time order across interfaces, and with as many lines
// as the file holds frames.
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BufferedOutput } from '../../src/cli/output.js';
import { runRead } from '../../src/cli/read.js';
import { openCapture } from '../../src/capture/index.js';
import { decodePacket } from '../../src/decode/packet.js';
import { Writable } from 'node:stream';
import { REPO } from '../helpers/tools.js';

const dir = join(REPO, 'samples');
const samples = existsSync(dir) ? readdirSync(dir).filter((s) => existsSync(join(dir, s, 'capture.pcapng'))) : [];

describe('read on the committed samples', () => {
  it('has the ten samples', () => expect(samples.length).toBeGreaterThanOrEqual(10));
  for (const s of samples) {
    it(`${s}: every frame is read, decoded and printed in time order`, async () => {
      const file = join(dir, s, 'capture.pcapng');
      const chunks: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          chunks.push(chunk.toString('utf8'));
          done();
        },
      });
      await runRead([file], {}, new BufferedOutput(sink));
      const lines = chunks.join('').split('\n').filter((l) => l.length > 0);
      const reader = await openCapture(file);
      let frames = 0;
      for await (const batch of reader.batches()) {
        for (const f of batch) {
          frames++;
          expect(decodePacket(f.data, f.iface.linktype).problem, `${s}#${f.number}`).toBeUndefined();
        }
      }
      await reader.close();
      expect(lines.length).toBe(frames);
      const times = lines.map((l) => Number(l.split(' ')[0]));
      for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]);
    });
  }
});
