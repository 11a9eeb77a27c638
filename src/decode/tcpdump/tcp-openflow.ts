/**
 * print-openflow.c without -v: ": OpenFlow" and one "version, type, length, xid" line for each
 * message header in the segment (tcpdump 4.99 names the types of OpenFlow 1.0 and 1.3).
 */
import { u16, u32 } from '../bytes.js';

export const OPENFLOW_PORTS = [6633, 6653];
const HEADER = 8;

const VERSIONS: Record<number, string> = { 1: '1.0', 2: '1.1', 3: '1.2', 4: '1.3', 5: '1.4', 6: '1.5' };
const TYPES_10 = [
  'HELLO', 'ERROR', 'ECHO_REQUEST', 'ECHO_REPLY', 'VENDOR', 'FEATURES_REQUEST', 'FEATURES_REPLY', 'GET_CONFIG_REQUEST',
  'GET_CONFIG_REPLY', 'SET_CONFIG', 'PACKET_IN', 'FLOW_REMOVED', 'PORT_STATUS', 'PACKET_OUT', 'FLOW_MOD', 'PORT_MOD',
  'STATS_REQUEST', 'STATS_REPLY', 'BARRIER_REQUEST', 'BARRIER_REPLY', 'QUEUE_GET_CONFIG_REQUEST', 'QUEUE_GET_CONFIG_REPLY',
];
const TYPES_13 = [
  'HELLO', 'ERROR', 'ECHO_REQUEST', 'ECHO_REPLY', 'EXPERIMENTER', 'FEATURES_REQUEST', 'FEATURES_REPLY', 'GET_CONFIG_REQUEST',
  'GET_CONFIG_REPLY', 'SET_CONFIG', 'PACKET_IN', 'FLOW_REMOVED', 'PORT_STATUS', 'PACKET_OUT', 'FLOW_MOD', 'GROUP_MOD',
  'PORT_MOD', 'TABLE_MOD', 'MULTIPART_REQUEST', 'MULTIPART_REPLY', 'BARRIER_REQUEST', 'BARRIER_REPLY',
  'QUEUE_GET_CONFIG_REQUEST', 'QUEUE_GET_CONFIG_REPLY', 'ROLE_REQUEST', 'ROLE_REPLY', 'GET_ASYNC_REQUEST', 'GET_ASYNC_REPLY',
  'SET_ASYNC', 'METER_MOD',
];

const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');

export function formatOpenflow(b: Uint8Array, p: number, len: number, snapend: number): string {
  let out = ': OpenFlow';
  while (len > 0) {
    if (len < HEADER) return `${out} (invalid)`;
    if (p + HEADER > snapend) return `${out} [|openflow]`;
    const version = b[p];
    const type = b[p + 1];
    const length = u16(b, p + 2);
    const names = version === 1 ? TYPES_10 : version === 4 ? TYPES_13 : undefined;
    out += `\n\tversion ${VERSIONS[version] ?? `unknown (0x${hex(version, 2)})`}`;
    if (!names) return out;
    out += `, type ${names[type] ?? `invalid (0x${hex(type, 2)})`}`;
    out += `, length ${length}${length < HEADER ? ' (too short!)' : ''}, xid 0x${hex(u32(b, p + 4), 8)}`;
    if (length < HEADER) return `${out} (invalid)`;
    if (length > len) return `${out} (invalid)`;
    p += length;
    len -= length;
  }
  return out;
}
