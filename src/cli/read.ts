import type { Command } from 'commander';
import type { Frame } from '../capture/frame.js';
import { formatEpochNs } from '../capture/frame.js';
import { decodePacket, type Packet } from '../decode/packet.js';
import { packetLayersToJson } from '../decode/json.js';
import { formatFrameLine, type LineOptions } from '../decode/tcpdump/line.js';
import { TcpSequenceTracker } from '../decode/tcpdump/transport.js';
import { Sll2Header } from '../decode/sll2.js';
import { BufferedOutput } from './output.js';
import { openAll, mergedFrames, asCliError, withProgress } from './captures.js';
import { parseIfaceMap } from './options.js';

export interface ReadOptions {
  /** -e: print the link-level header. */
  linkHeader?: boolean;
  json?: boolean;
  /** Print nanoseconds (9 decimals) instead of tcpdump's microseconds. */
  nano?: boolean;
  ifaceMap?: Map<number, string>;
  /** Draw the progress bar on stderr (a terminal; the caller decides, as stdout may be one too). */
  progress?: boolean;
}

// Linux packet types (if_packet.h) as tcpdump's print-sll.c names them.
const PACKET_TYPE_WORDS = ['In', 'B', 'M', 'P', 'Out'];

function directionWord(dir: Frame['direction']): string {
  return dir === 'in' ? 'In' : dir === 'out' ? 'Out' : '?';
}

/**
 * tcpdump -i any prints `%-5s %-3s ` (interface, direction) before the protocol. We print the same
 * for every frame of a run that spans several interfaces, naming them from the capture (pcapng
 * if_name) or, for cooked v2, from --iface-map: never from the reading host's own interface table.
 */
function interfacePrefix(frame: Frame, pkt: Packet, multi: boolean, map: Map<number, string>): string | undefined {
  if (pkt.link instanceof Sll2Header) {
    const idx = pkt.link.interfaceIndex;
    const name = map.get(idx) ?? `if${idx}`;
    const word = PACKET_TYPE_WORDS[pkt.link.packetType] ?? '?';
    return `${name.padEnd(5)} ${word.padEnd(3)}`;
  }
  if (!multi) return undefined;
  return `${frame.iface.name.padEnd(5)} ${directionWord(frame.direction).padEnd(3)}`;
}

/** Runs `read` over files, writing to `out`. Throws CliError (exit 2) after printing what was read. */
export async function runRead(files: string[], options: ReadOptions, out: BufferedOutput): Promise<void> {
  const readers = await openAll(files);
  const map = options.ifaceMap ?? new Map<number, string>();
  const tcpState = new TcpSequenceTracker();
  let multi: boolean | undefined;
  try {
    const frames = mergedFrames(readers);
    for await (const batch of options.progress ? withProgress(frames, readers, false) : frames) {
      if (multi === undefined) multi = readers.reduce((n, r) => n + r.info.interfaces.length, 0) > 1;
      for (const frame of batch) {
        const pkt = decodePacket(frame.data, frame.iface.linktype);
        const lineOptions: LineOptions = {
          linkHeader: options.linkHeader,
          nano: options.nano,
          ifacePrefix: interfacePrefix(frame, pkt, multi, map),
          tcpState,
        };
        const summary = formatFrameLine(frame, pkt, lineOptions);
        let full: boolean;
        if (options.json) {
          full = out.push(
            JSON.stringify({
              file: frame.file,
              frame: frame.number,
              interface: frame.iface.name,
              ts: formatEpochNs(frame),
              caplen: frame.caplen,
              len: frame.origLen,
              linktype: frame.iface.linktype,
              direction: frame.direction,
              layers: packetLayersToJson(pkt),
              summary,
            }),
          );
        } else {
          full = out.push(summary);
        }
        if (full) await out.flush();
        if (out.isClosed) return;
      }
    }
  } catch (err) {
    await out.flush();
    throw asCliError(err);
  }
  await out.flush();
}

export function registerRead(program: Command): void {
  program
    .command('read')
    .description('print one tcpdump-style line per frame, all files merged in time order')
    .argument('<files...>', 'pcap or pcapng files')
    .option('-e, --link-header', 'print the link-level header (MAC addresses, ethertype) like tcpdump -e')
    .option('--json', 'print one JSON object per frame instead of a line')
    .option('--nano', 'print timestamps with nanoseconds')
    .option('--iface-map <map>', 'names for cooked-v2 interface indexes, e.g. 4=docker0,5=vethc1')
    .action(async (files: string[], opts: { linkHeader?: boolean; json?: boolean; nano?: boolean; ifaceMap?: string }) => {
      const out = new BufferedOutput(process.stdout);
      // On a terminal the lines themselves show the progress; a bar would be drawn over them.
      const progress = !program.opts<{ quiet?: boolean }>().quiet && process.stdout.isTTY !== true;
      await runRead(files, { linkHeader: opts.linkHeader, json: opts.json, nano: opts.nano, ifaceMap: parseIfaceMap(opts.ifaceMap), progress }, out);
    });
}
