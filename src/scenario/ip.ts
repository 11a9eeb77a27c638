import { LineError } from './errors.js';
import { Words } from './words.js';
import { parseAddress, parseCidr, parseIfaceName, parseInteger, parseIPv4, parseNetnsName, parsePort } from './address.js';
import type { StepBody } from './body.js';
import type { TunnelType } from './types.js';

const VXLAN_USAGE = 'ip link add NAME type vxlan id VNI [local IP] remote IP [dstport PORT] [dev DEV]';
const GENEVE_USAGE = 'ip link add NAME type geneve id VNI remote IP [dstport PORT]';
const IP_USAGE =
  'ip netns add NAME | ip link add NAME type veth peer name PEER [netns NS] | ip link add name NAME type bridge | ' +
  `${VXLAN_USAGE} | ${GENEVE_USAGE} | ` +
  'ip link set [dev] NAME up|down|netns NS|master BRIDGE|address MAC|mtu N | ip addr add ADDR/LEN dev NAME | ip route add default|PREFIX [via GW] [dev NAME]';

/**
 * The port a tunnel listens on when `dstport` is not given: Linux's VXLAN default is 8472 (the port
 * it used before IANA gave 4789, which iproute2 says when it creates one), Geneve's is IANA's 6081.
 */
export const DEFAULT_TUNNEL_PORT: Record<TunnelType, number> = { vxlan: 8472, geneve: 6081 };
/** Linux's limits for a veth, bridge or tunnel MTU (dev->min_mtu, dev->max_mtu). */
const MIN_MTU = 68;
const MAX_MTU = 65535;

// iproute2 accepts any prefix of its keywords ("a", "ad", "add"); these are the spellings tutorials use.
const ADDR = ['addr', 'address', 'a'];
const ROUTE = ['route', 'r', 'ro'];
const ADD = ['add', 'a'];

/** An `ip ...` command, `words` starting after `ip`. `ip netns exec` is handled by the caller. */
export function parseIp(argv: string[]): StepBody {
  const w = new Words(argv.slice(1), IP_USAGE);
  const object = w.next('an object (netns, link, addr or route)');
  if (object === 'netns') {
    const verb = w.next('netns add NAME');
    if (verb !== 'add') throw new LineError(`'ip netns ${verb}' is not supported: only 'ip netns add NAME' and 'ip netns exec NAME COMMAND...'`);
    const name = parseNetnsName(w.next('the namespace name'), 'namespace');
    w.end();
    return { kind: 'netns-add', name };
  }
  if (object === 'link' || object === 'l') return parseLink(w);
  if (ADDR.includes(object)) {
    const verb = w.next('add');
    if (!ADD.includes(verb)) throw new LineError(`'ip addr ${verb}' is not supported: only 'ip addr add ADDR/LEN dev NAME'`);
    const address = parseCidr(w.next('ADDR/LEN'), 'address', false);
    w.expect('dev');
    const dev = parseIfaceName(w.next('the device name'), 'device');
    w.end();
    return { kind: 'addr-add', address, dev };
  }
  if (ROUTE.includes(object)) {
    const verb = w.next('add');
    if (!ADD.includes(verb)) throw new LineError(`'ip route ${verb}' is not supported: only 'ip route add default|PREFIX [via GW] [dev NAME]'`);
    const dest = w.next("'default' or a PREFIX");
    const destination = dest === 'default' ? ('default' as const) : parseCidr(dest, 'route prefix', true);
    let via: string | undefined;
    let dev: string | undefined;
    while (!w.done) {
      const opt = w.next('via or dev');
      if (opt === 'via' && via === undefined) via = parseAddress(w.next('the gateway address'), 'gateway');
      else if (opt === 'dev' && dev === undefined) dev = parseIfaceName(w.next('the device name'), 'device');
      else throw new LineError(`unexpected '${opt}' in ip route add (supported: via GW, dev NAME, each once)`);
    }
    if (via === undefined && dev === undefined) throw new LineError('ip route add needs via GW or dev NAME');
    return { kind: 'route-add', destination, via, dev };
  }
  throw new LineError(`'ip ${object}' is not supported (supported: ${IP_USAGE})`);
}

function parseLink(w: Words): StepBody {
  const verb = w.next('add or set');
  if (verb === 'add') {
    w.accept('name');
    const name = parseIfaceName(w.next('the link name'), 'link');
    w.expect('type');
    const type = w.next('the link type (veth, bridge, vxlan or geneve)');
    if (type === 'bridge') {
      w.end();
      return { kind: 'bridge-add', name };
    }
    if (type === 'vxlan' || type === 'geneve') return parseTunnel(w, name, type);
    if (type !== 'veth') throw new LineError(`link type '${type}' is not supported (supported: veth, bridge, vxlan, geneve)`);
    w.expect('peer');
    w.expect('name');
    const peer = parseIfaceName(w.next('the peer name'), 'peer');
    let peerNetns: string | undefined;
    if (w.accept('netns')) peerNetns = parseNetnsName(w.next('the peer namespace'), 'namespace');
    w.end();
    // Two devices of one namespace cannot share a name; a peer created in another namespace can.
    if (peer === name && peerNetns === undefined) throw new LineError(`the veth peer cannot have the name of its other end ('${name}') in the same namespace`);
    return { kind: 'veth-add', name, peer, peerNetns };
  }
  if (verb === 'set') {
    w.accept('dev');
    const dev = parseIfaceName(w.next('the link name'), 'link');
    let state: 'up' | 'down' | undefined;
    let netns: string | undefined;
    let master: string | undefined;
    let mac: string | undefined;
    let mtu: number | undefined;
    if (w.done) throw new LineError('ip link set needs up, down, netns NS, master BRIDGE, address MAC or mtu N');
    while (!w.done) {
      const opt = w.next('up, down, netns, master, address or mtu');
      if ((opt === 'up' || opt === 'down') && state === undefined) state = opt;
      else if (opt === 'netns' && netns === undefined) netns = parseNetnsName(w.next('the namespace'), 'namespace');
      else if (opt === 'master' && master === undefined) master = parseIfaceName(w.next('the bridge'), 'bridge');
      else if (opt === 'address' && mac === undefined) {
        mac = w.next('the MAC address').toLowerCase();
        if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) throw new LineError(`'${mac}' is not a MAC address (xx:xx:xx:xx:xx:xx)`);
        if (parseInt(mac.slice(0, 2), 16) & 1) throw new LineError(`${mac} is a multicast address, which a link cannot have`);
      } else if (opt === 'mtu' && mtu === undefined) mtu = parseInteger(w.next('the MTU'), 'MTU', MIN_MTU, MAX_MTU);
      else throw new LineError(`unexpected '${opt}' in ip link set (supported: up, down, netns NS, master BRIDGE, address MAC, mtu N, each once)`);
    }
    return { kind: 'link-set', dev, state, netns, master, mac, mtu };
  }
  throw new LineError(`'ip link ${verb}' is not supported: only 'ip link add' and 'ip link set'`);
}

/** The options of a vxlan or geneve device, in any order as iproute2 takes them, each once. */
function parseTunnel(w: Words, name: string, type: TunnelType): StepBody {
  const usage = type === 'vxlan' ? VXLAN_USAGE : GENEVE_USAGE;
  const allowed = type === 'vxlan' ? ['id', 'local', 'remote', 'dstport', 'dev'] : ['id', 'remote', 'dstport'];
  const given = new Map<string, string>();
  while (!w.done) {
    const opt = w.next('an option');
    if (!allowed.includes(opt) || given.has(opt)) throw new LineError(`unexpected '${opt}' in ip link add type ${type} (usage: ${usage}, each option once)`);
    given.set(opt, w.next(`the value of ${opt}`));
  }
  const id = given.get('id');
  const remote = given.get('remote');
  if (id === undefined) throw new LineError(`a ${type} device needs id VNI (usage: ${usage})`);
  // A tunnel without a remote floods to a multicast group or learns remotes: neither is modelled.
  if (remote === undefined) throw new LineError(`a ${type} device needs remote IP: point-to-point tunnels only (usage: ${usage})`);
  const local = given.get('local');
  const port = given.get('dstport');
  const dev = given.get('dev');
  return {
    kind: 'tunnel-add',
    name,
    type,
    vni: parseInteger(id, 'VNI', 0, 0xffffff),
    local: local === undefined ? undefined : parseIPv4(local, 'local address'),
    remote: parseIPv4(remote, 'remote address'),
    dstport: port === undefined ? DEFAULT_TUNNEL_PORT[type] : parsePort(port, 'dstport'),
    dev: dev === undefined ? undefined : parseIfaceName(dev, 'underlay device'),
  };
}
