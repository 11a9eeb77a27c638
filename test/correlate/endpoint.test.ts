import { describe, expect, it } from 'vitest';
import { addressOf, addressScope, endpoint, isGroupAddress, isLinkScope, isLoopbackAddress } from '../../src/correlate/endpoint.js';

describe('endpoint text', () => {
  it('round-trips the address of every form endpoint() writes', () => {
    for (const [addr, port] of [
      ['10.0.0.1', 80],
      ['10.0.0.1', undefined],
      ['fd00::1', 53],
      ['fd00::1', undefined],
    ] as const) {
      expect(addressOf(endpoint(addr, port))).toBe(addr);
    }
    expect(endpoint('fd00::1', 53)).toBe('[fd00::1]:53');
  });
});

describe('address classes', () => {
  it('knows the private and shared IPv4 ranges at their edges', () => {
    const inside = ['10.0.0.0', '10.255.255.255', '172.16.0.1', '172.31.255.255', '192.168.0.1', '100.64.0.1', '100.127.255.255'];
    const outside = ['9.255.255.255', '11.0.0.0', '172.15.255.255', '172.32.0.0', '192.167.255.255', '192.169.0.0', '100.63.255.255', '100.128.0.0', '8.8.8.8', '198.51.100.8'];
    for (const a of inside) expect(addressScope(a), a).toBe('private');
    for (const a of outside) expect(addressScope(a), a).toBe('global');
  });

  it('gives every IPv4 and IPv6 scope its range, at the edges, in either case', () => {
    const cases: [string, string][] = [
      ['0.0.0.0', 'unspecified'],
      ['0.255.255.255', 'unspecified'],
      ['1.0.0.0', 'global'],
      ['127.0.0.1', 'loopback'],
      ['127.0.0.11', 'loopback'],
      ['128.0.0.0', 'global'],
      ['169.254.0.1', 'link-local'],
      ['169.254.255.255', 'link-local'],
      ['169.253.255.255', 'global'],
      ['169.255.0.0', 'global'],
      ['224.0.0.1', 'link-multicast'],
      ['224.0.0.251', 'link-multicast'],
      ['224.0.0.255', 'link-multicast'],
      ['224.0.1.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['240.0.0.1', 'global'],
      ['255.255.255.255', 'broadcast'],
      ['255.255.255.254', 'global'],
      ['::', 'unspecified'],
      ['::1', 'loopback'],
      ['fe80::1', 'link-local'],
      ['FE80::1', 'link-local'],
      ['febf:ffff::1', 'link-local'],
      ['fec0::1', 'unique-local'],
      ['fc00::1', 'unique-local'],
      ['fd12:3456::1', 'unique-local'],
      ['fbff::1', 'global'],
      ['ff02::1', 'link-multicast'],
      ['ff02::1:ff00:1', 'link-multicast'],
      ['ff01::2', 'link-multicast'],
      ['ff05::2', 'multicast'],
      ['ff0e::101', 'multicast'],
      ['2001:db8::1', 'global'],
      ['2a00:1450::1', 'global'],
      ['::ffff:10.0.0.1', 'private'],
      ['::ffff:169.254.1.1', 'link-local'],
    ];
    for (const [a, scope] of cases) expect(addressScope(a), a).toBe(scope);
  });

  it('calls link-scoped what no router forwards', () => {
    for (const a of ['0.0.0.0', '::', '127.0.0.1', '169.254.1.1', 'fe80::1', '224.0.0.22', 'ff02::16', '255.255.255.255']) expect(isLinkScope(addressScope(a)), a).toBe(true);
    for (const a of ['10.0.0.1', 'fd00::1', '198.51.100.8', '239.1.1.1', 'ff05::2', '2001:db8::1']) expect(isLinkScope(addressScope(a)), a).toBe(false);
  });

  it('treats text that is not a dotted quad as no IPv4 address', () => {
    for (const a of ['', '10', '10.0.0', '10.0.0.0.1', '10..0.1', '10.0.0.256', '10.0.0.1000', '10.0.0.-1', '10.0.0.1 ', '0a.0.0.1', '02:42:ac:11:00:02']) {
      expect(addressScope(a), a).toBe('global');
      expect(isGroupAddress(a), a).toBe(false);
    }
  });

  it('knows multicast and the limited broadcast as group addresses', () => {
    for (const a of ['224.0.0.251', '239.255.255.250', '255.255.255.255', 'ff02::fb', 'FF02::1']) expect(isGroupAddress(a), a).toBe(true);
    for (const a of ['223.255.255.255', '240.0.0.1', '255.255.255.254', '10.0.0.255', 'fe80::1']) expect(isGroupAddress(a), a).toBe(false);
  });

  it('knows loopback', () => {
    expect(isLoopbackAddress('127.0.0.11')).toBe(true);
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('10.0.0.1')).toBe(false);
  });
});
