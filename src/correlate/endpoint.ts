/** `ip`, `ip:port`, or `[ipv6]:port`: the endpoint text of DESIGN.md's `before`/`after`/`client`. */
export function endpoint(addr: string, port?: number): string {
  if (port === undefined) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** An endpoint, or for an ICMP echo the address and its identifier (`ip#id`): one side of a tuple. */
export function echoOrEndpoint(addr: string, port: number | undefined, icmpId: number | undefined): string {
  return icmpId !== undefined ? `${addr}#${icmpId}` : endpoint(addr, port);
}

/** The address of an endpoint text (`ip`, `ip:port`, `[v6]:port`): what endpoint() was given. */
export function addressOf(ep: string): string {
  if (ep.startsWith('[')) return ep.slice(1, ep.indexOf(']'));
  const i = ep.lastIndexOf(':');
  return i > 0 && !ep.slice(0, i).includes(':') ? ep.slice(0, i) : ep;
}

const PRIVATE_V4: [number, number][] = [
  [0x0a000000, 8], // 10/8
  [0xac100000, 12], // 172.16/12
  [0xc0a80000, 16], // 192.168/16
  [0x64400000, 10], // 100.64/10 (carrier-grade NAT)
  [0xa9fe0000, 16], // 169.254/16
];

/**
 * A dotted-quad IPv4 address as its 32-bit number, undefined for anything else. Read character by
 * character: the fates and findings ask this of every hop, and splitting the text made four strings
 * and an iterator each time.
 */
function v4Number(addr: string): number | undefined {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < addr.length; i++) {
    const c = addr.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return undefined;
    } else return undefined;
  }
  return dots === 3 && digits > 0 ? n * 256 + part : undefined;
}

/** RFC 1918, shared (RFC 6598) and link-local IPv4, and IPv6 unique-local/link-local: never routable outside. */
export function isPrivateAddress(addr: string): boolean {
  const n = v4Number(addr);
  if (n !== undefined) {
    for (let i = 0; i < PRIVATE_V4.length; i++) {
      const size = 2 ** (32 - PRIVATE_V4[i][1]);
      if (Math.floor(n / size) === Math.floor(PRIVATE_V4[i][0] / size)) return true;
    }
    return false;
  }
  const lower = addr.toLowerCase();
  return lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80:');
}

/** Past this many addresses PrivateAddresses starts again: memory stays bounded on busy captures. */
const MAX_REMEMBERED = 1 << 16;

/**
 * isPrivateAddress remembered per address, for the callers that ask it of every packet or hop (role
 * inference, the unNATted-source finding): the text is read once per address.
 */
export class PrivateAddresses {
  private readonly known = new Map<string, boolean>();

  has(addr: string): boolean {
    let p = this.known.get(addr);
    if (p === undefined) {
      if (this.known.size >= MAX_REMEMBERED) this.known.clear();
      p = isPrivateAddress(addr);
      this.known.set(addr, p);
    }
    return p;
  }
}

export function isLoopbackAddress(addr: string): boolean {
  return addr.startsWith('127.') || addr === '::1';
}

/** IPv4 multicast (224/4) and the limited broadcast, IPv6 multicast (ff00::/8): sent to a link, not to a host. */
export function isGroupAddress(addr: string): boolean {
  if (addr.includes(':')) return addr.toLowerCase().startsWith('ff');
  const n = v4Number(addr);
  if (n === undefined) return false;
  const first = Math.floor(n / 2 ** 24);
  return (first >= 224 && first <= 239) || n === 0xffffffff;
}
