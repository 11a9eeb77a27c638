import { describe, expect, it } from 'vitest';
import { addressOf, endpoint, isGroupAddress, isLoopbackAddress, isPrivateAddress } from '../../src/correlate/endpoint.js';

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
  it('knows the private, shared and link-local IPv4 ranges at their edges', () => {
    const inside = ['10.0.0.0', '10.255.255.255', '172.16.0.1', '172.31.255.255', '192.168.0.1', '100.64.0.1', '100.127.255.255', '169.254.1.1'];
    const outside = ['9.255.255.255', '11.0.0.0', '172.15.255.255', '172.32.0.0', '192.167.255.255', '192.169.0.0', '100.63.255.255', '100.128.0.0', '8.8.8.8', '198.51.100.8'];
    for (const a of inside) expect(isPrivateAddress(a), a).toBe(true);
    for (const a of outside) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('knows IPv6 unique-local and link-local, in either case', () => {
    expect(isPrivateAddress('fd12::1')).toBe(true);
    expect(isPrivateAddress('FE80::1')).toBe(true);
    expect(isPrivateAddress('2001:db8::1')).toBe(false);
  });

  it('treats text that is not a dotted quad as no IPv4 address', () => {
    for (const a of ['', '10', '10.0.0', '10.0.0.0.1', '10..0.1', '10.0.0.256', '10.0.0.1000', '10.0.0.-1', '10.0.0.1 ', '0a.0.0.1', '02:42:ac:11:00:02']) {
      expect(isPrivateAddress(a), a).toBe(false);
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
