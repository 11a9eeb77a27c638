// Roles from behaviour, for interfaces whose names say nothing: the any-capture sample read without
// its --iface-map has only indexes (if2, if3, if4), and the traffic must still tell which is which.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { roleFromName } from '../../src/correlate/roles.js';
import { REPO } from '../helpers/tools.js';

describe('roles from names', () => {
  it('knows the bridges, ports and uplinks of Docker, Podman, CNI, libvirt and the usual NICs', () => {
    for (const n of ['docker0', 'docker_gwbridge', 'br-4f2a1c9e0b7d', 'cni0', 'cni-podman0', 'podman1', 'virbr0', 'lxdbr0', 'kube-bridge', 'weave']) expect(roleFromName(n), n).toBe('bridge');
    for (const n of ['veth1a2b3c4', 'cali12ab34cd', 'vnet3', 'lxc5e6f']) expect(roleFromName(n), n).toBe('veth');
    for (const n of ['eth0', 'ens3', 'enp1s0', 'eno1', 'wlan0', 'wlp2s0', 'bond0']) expect(roleFromName(n), n).toBe('uplink');
    expect(roleFromName('lo')).toBe('loopback');
    expect(roleFromName('c1:eth0')).toBe('container');
    expect(roleFromName('if7')).toBeUndefined();
  });
});

describe('roles from behaviour', () => {
  it('any-capture without names: the NAT outside is the uplink, the routing pivot the bridge, its partner a port', async () => {
    const reader = await openCapture(join(REPO, 'samples', 'any-capture', 'capture.pcapng'));
    try {
      const { analysis } = await analyzeCaptures([reader], {});
      const roles = Object.fromEntries(analysis.interfaces.map((i) => [i.name, [i.role, i.roleSource]]));
      // The host's table when it was recorded (samples/any-capture/iface-map.txt): 2=eth0, 3=docker0, 4=veth1a2b3c4.
      expect(roles).toEqual({ if2: ['uplink', 'behaviour'], if3: ['bridge', 'behaviour'], if4: ['veth', 'behaviour'] });
      // With the roles right, the story is the one the named capture tells: nothing dropped.
      expect(analysis.journeys.filter((j) => j.fate === 'dropped')).toEqual([]);
      const routedOut = analysis.journeys.find((j) => j.steps.some((s) => s.nat?.type === 'snat'));
      expect(routedOut?.hops.map((h) => h.interface)).toEqual(['if4', 'if3', 'if2']);
      // The host's addresses, learnt with no scenario or topology: the ARP reply the capture saw it
      // send on the bridge, and the outside of its source NAT.
      expect(analysis.hostAddresses).toEqual(['172.17.0.1', '203.0.113.108']);
    } finally {
      await reader.close();
    }
  });
});
