// Spanning-tree BPDUs in 802.2 LLC, as tcpdump 4.99's print-llc.c and print-stp.c print them without
// -v. A Linux bridge with STP on (`ip link set br0 type bridge stp_state 1`, libvirt's virbr0) sends
// one on every port every two seconds, and switches send them to a host's uplink.
import { hex2, macString, u16 } from '../bytes.js';

const LLCSAP_8021D = 0x42;
const LLC_UI = 0x03;

const PROTOCOLS: Readonly<Record<number, string>> = { 0: '802.1d', 2: '802.1w', 3: '802.1s', 4: '802.1aq' };
const BPDU_TYPES: Readonly<Record<number, string>> = { 0x00: 'Config', 0x02: 'Rapid STP', 0x80: 'Topology Change' };
const FLAGS: readonly [number, string][] = [
  [0x01, 'Topology change'],
  [0x02, 'Proposal'],
  [0x10, 'Learn'],
  [0x20, 'Forward'],
  [0x40, 'Agreement'],
  [0x80, 'Topology change ACK'],
];
/** sizeof(struct stp_bpdu_) in print-stp.c: through the version-1 length byte. */
const BPDU_LENGTH = 36;
const MSTP_MIN_LENGTH = 102;
const MSTP_V3_LENGTH_OFFSET = 36;

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** bittok2str: the names of the set bits in table order, ", " between them, or "none". */
function flagNames(flags: number): string {
  const names = FLAGS.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
  return names.length > 0 ? names.join(', ') : 'none';
}

function bridgeId(b: Uint8Array, o: number): string {
  return `${hex2(b[o])}${hex2(b[o + 1])}.${macString(b, o + 2)}`;
}

/** stp_print for the BPDU at `o`: `length` bytes by the LLC length, `end` where the capture stops. */
export function formatStp(b: Uint8Array, o: number, length: number, end: number): string {
  const TRUNCATED = ' [|stp]';
  if (length < 4) return ' (invalid)';
  if (o + 2 > end) return TRUNCATED;
  if (u16(b, o) !== 0) return `unknown STP version, length ${length}`;
  if (o + 3 > end) return TRUNCATED;
  const version = b[o + 2];
  let s = `STP ${PROTOCOLS[version] ?? `Unknown STP protocol (0x${hex2(version)})`}`;
  if (PROTOCOLS[version] === undefined) return s;
  if (o + 4 > end) return s + TRUNCATED;
  const type = b[o + 3];
  s += `, ${BPDU_TYPES[type] ?? `Unknown BPDU Type (0x${hex2(type)})`}`;
  const config = (): string => {
    if (o + 5 > end) return s + TRUNCATED;
    s += `, Flags [${flagNames(b[o + 4])}]`;
    if (o + 27 > end) return s + TRUNCATED;
    return `${s}, bridge-id ${bridgeId(b, o + 17)}.${hex4(u16(b, o + 25))}, length ${length}`;
  };
  switch (type) {
    case 0x00:
      return length < BPDU_LENGTH - 1 ? `${s} (invalid)` : config();
    case 0x02:
      if (version === 2) return length < BPDU_LENGTH ? `${s} (invalid)` : config();
      if (version === 3 || version === 4) {
        if (length < MSTP_MIN_LENGTH) return `${s} (invalid)`;
        if (o + MSTP_V3_LENGTH_OFFSET + 2 > end) return s + TRUNCATED;
        if (b[o + 35] !== 0) return `${s} (invalid)`;
        const v3 = u16(b, o + MSTP_V3_LENGTH_OFFSET) + 2;
        if (length < BPDU_LENGTH + v3) return `${s} (invalid)`;
        // 802.1aq's own part prints only with -v, after checks this printer leaves to tcpdump -v.
        return `${s}, CIST Flags [${flagNames(b[o + 4])}], length ${length}`;
      }
      return s;
    default:
      return s;
  }
}

/**
 * An 802.3 frame's LLC header at `o` when it carries a BPDU (DSAP and SSAP 0x42, UI): the text
 * tcpdump prints from the LLC on (with -e, the LLC header first). Undefined for any other LLC.
 */
export function formatLlcStp(b: Uint8Array, o: number, length: number, end: number, linkHeader: boolean): string | undefined {
  if (o + 3 > end) return undefined;
  const dsapField = b[o];
  const ssapField = b[o + 1];
  if ((dsapField & 0xfe) !== LLCSAP_8021D || (ssapField & 0xfe) !== LLCSAP_8021D || b[o + 2] !== LLC_UI) return undefined;
  const llc = linkHeader
    ? `LLC, dsap STP (0x42) ${dsapField & 1 ? 'Group' : 'Individual'}, ssap STP (0x42) ${ssapField & 1 ? 'Response' : 'Command'}, ctrl 0x03: `
    : '';
  return llc + formatStp(b, o + 3, length - 3, end);
}
