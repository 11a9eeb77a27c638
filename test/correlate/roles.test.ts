// Roles from behaviour, for interfaces whose names say nothing: the any-capture sample read without
// its --iface-map has only indexes (if2, if3, if4), and the traffic must still tell which is which.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/index.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { REPO } from '../helpers/tools.js';

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
    } finally {
      await reader.close();
    }
  });
});
