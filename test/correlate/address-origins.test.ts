// Where addresses live, kept in memory that does not grow with the capture: a long capture of a host
// on the internet meets new outside addresses to its end, and the fates used to keep a set of
// interfaces for every one of them (25 MB at six million frames of the bench's wide traffic).
import { describe, expect, it } from 'vitest';
import { AddressOrigins } from '../../src/correlate/address-origins.js';
import type { RoleView } from '../../src/correlate/fates.js';
import type { InterfaceRole } from '../../src/correlate/model.js';

const ROLES: Record<string, InterfaceRole> = { eth0: 'uplink', docker0: 'bridge', veth1: 'veth', ctr0: 'container', wg0: 'unknown' };
const roles: RoleView = { role: (i) => ROLES[i] ?? 'unknown', hasUplink: true, version: 1 };

describe('AddressOrigins', () => {
  it('gives the interfaces an address was first seen on, one shared set for all alike', () => {
    const o = new AddressOrigins();
    for (let i = 0; i < 1000; i++) o.note(`198.51.100.${i}`, 'eth0');
    o.note('172.17.0.2', 'veth1');
    o.note('172.17.0.2', 'docker0');
    o.note('172.17.0.3', 'docker0');
    o.note('172.17.0.3', 'veth1');
    expect([...o.of('198.51.100.7')!]).toEqual(['eth0']);
    expect(o.of('198.51.100.7')).toBe(o.of('198.51.100.999'));
    expect(new Set(o.of('172.17.0.2'))).toEqual(new Set(['veth1', 'docker0']));
    expect(o.of('172.17.0.2')).toBe(o.of('172.17.0.3'));
    expect(o.of('203.0.113.9')).toBeUndefined();
  });

  it('forgets an outside address silent for a generation, and keeps the ones on this side of the uplink', () => {
    const o = new AddressOrigins();
    o.note('198.51.100.1', 'eth0'); // outside, silent from now on
    o.note('198.51.100.2', 'eth0'); // outside, seen again in the next generation
    o.note('198.51.100.3', 'eth0');
    o.note('198.51.100.3', 'docker0'); // outside, also seen on the bridge: still only through the uplink
    o.note('172.17.0.2', 'veth1'); // a container
    o.note('172.17.0.9', 'docker0'); // behind the bridge, on a port nobody captured
    o.note('10.9.0.1', 'wg0'); // an interface of no role known
    o.note('10.9.0.2', 'eth0');
    o.note('10.9.0.2', 'veth1'); // a container's address that also came in through the uplink
    o.note('10.9.0.3', 'eth0');
    o.note('10.9.0.3', 'ctr0'); // the same, captured inside the container
    o.age(roles);
    o.note('198.51.100.2', 'eth0');
    // One generation later every address is still known.
    for (const a of ['198.51.100.1', '198.51.100.3', '172.17.0.2']) expect(o.of(a)).toBeDefined();
    o.age(roles);
    expect(o.of('198.51.100.1')).toBeUndefined();
    expect(o.of('198.51.100.3')).toBeUndefined();
    expect([...o.of('198.51.100.2')!]).toEqual(['eth0']);
    for (const a of ['172.17.0.2', '172.17.0.9', '10.9.0.1', '10.9.0.2', '10.9.0.3']) expect(o.of(a)).toBeDefined();
    // And for good: the local ones survive any number of generations.
    for (let g = 0; g < 5; g++) o.age(roles);
    expect(o.size).toBe(5);
    expect(new Set(o.of('10.9.0.2'))).toEqual(new Set(['eth0', 'veth1']));
  });

  it('holds at most two generations of outside addresses however many pass', () => {
    const o = new AddressOrigins();
    let most = 0;
    for (let g = 0; g < 20; g++) {
      for (let i = 0; i < 5000; i++) o.note(`${11 + g}.0.${i >> 8}.${i & 255}`, 'eth0');
      most = Math.max(most, o.size);
      o.age(roles);
    }
    expect(most).toBe(10_000);
  });
});
