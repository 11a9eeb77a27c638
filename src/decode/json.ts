/**
 * The decoded layers of a packet as plain JSON values, for `read --json`. Layer views are classes
 * whose fields are getters; this walks those getters so that every field a decoder exposes appears
 * without a second list of names to keep in step.
 */
import type { Packet } from './packet.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const SKIP = new Set(['b', 'data', 'bytes', 'end', 'constructor']);
const MAX_DEPTH = 6;
const MAX_ITEMS = 256;

function toJson(value: unknown, depth: number): JsonValue | undefined {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (depth > MAX_DEPTH) return undefined;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (const item of value.slice(0, MAX_ITEMS)) {
      const v = toJson(item, depth + 1);
      if (v !== undefined) out.push(v);
    }
    return out;
  }
  const out: { [key: string]: JsonValue } = {};
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (SKIP.has(key)) continue;
    const v = toJson(obj[key], depth + 1);
    if (v !== undefined) out[key] = v;
  }
  // Getters on the prototype chain (the decoders' lazy fields).
  for (let proto = Object.getPrototypeOf(obj); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const [key, desc] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      if (SKIP.has(key) || key in out || typeof desc.get !== 'function') continue;
      let raw: unknown;
      try {
        raw = desc.get.call(obj);
      } catch {
        // A getter that cannot read its field on a cut frame is left out, not fatal.
        continue;
      }
      const v = toJson(raw, depth + 1);
      if (v !== undefined) out[key] = v;
    }
  }
  return out;
}

const LAYER_KEYS = [
  'link',
  'vlans',
  'arp',
  'ipv4',
  'ipv6',
  'icmp',
  'icmpv6',
  'tcp',
  'udp',
  'dns',
  'http',
  'vxlan',
  'geneve',
  'gre',
] as const;

export function packetLayersToJson(pkt: Packet): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const key of LAYER_KEYS) {
    const layer = pkt[key];
    if (layer === undefined || (Array.isArray(layer) && layer.length === 0)) continue;
    const v = toJson(layer, 0);
    if (v !== undefined) out[key] = v;
  }
  if (pkt.inner) out.inner = packetLayersToJson(pkt.inner);
  if (pkt.problem) {
    out.problem = { layer: pkt.problem.layer, offset: pkt.problem.offset, code: pkt.problem.code, reason: pkt.problem.reason, truncated: pkt.problem.truncated };
  }
  return out;
}
