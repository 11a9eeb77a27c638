import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEmulateCommand } from '../../src/cli/emulate.js';
import { CliError, EXIT_BAD_INPUT } from '../../src/cli/exit.js';

const SCENARIO = `@uplink wlan0 203.0.113.108/24 via 203.0.113.1
@capture wlan0
ping -c 1 198.51.100.8
`;

describe('emulate command', () => {
  it('writes a pcapng with one IDB per captured interface; --seed changes the bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pn-emulate-cli-'));
    writeFileSync(join(dir, 's.txt'), SCENARIO);
    await runEmulateCommand(join(dir, 's.txt'), join(dir, 'a.pcapng'), { quiet: true });
    await runEmulateCommand(join(dir, 's.txt'), join(dir, 'b.pcapng'), { quiet: true, seed: 2 });
    const a = readFileSync(join(dir, 'a.pcapng'));
    expect(a.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(a.includes(Buffer.from('wlan0'))).toBe(true);
    expect(a.equals(readFileSync(join(dir, 'b.pcapng')))).toBe(false);
  });

  it('a scenario error is exit 2 naming file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pn-emulate-cli-'));
    writeFileSync(join(dir, 'bad.txt'), '@capture wlan0\nip link set dev nothere up\n');
    const err = await runEmulateCommand(join(dir, 'bad.txt'), join(dir, 'out.pcapng'), { quiet: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT_BAD_INPUT);
    expect((err as CliError).message).toMatch(/bad\.txt:2: device 'nothere' does not exist/);
  });

  it('a missing scenario file is exit 2', async () => {
    const err = await runEmulateCommand('/nonexistent/scenario.txt', '/tmp/x.pcapng', { quiet: true }).catch((e: unknown) => e);
    expect((err as CliError).exitCode).toBe(EXIT_BAD_INPUT);
  });
});
