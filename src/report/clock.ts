import type { Host } from '../correlate/model.js';
import { durationText } from '../correlate/groups.js';
import { plural } from '../correlate/plural.js';

/** "2.5 s ahead, from 50 packets over the link between them". */
export function clockText(h: Host): string {
  const ns = Number(h.clockOffsetNs);
  if (h.offsetSamples === 0) return 'not compared: no packet was seen on both hosts';
  const by = ns === 0 ? 'the same' : `${durationText(Math.abs(ns))} ${ns > 0 ? 'ahead' : 'behind'}`;
  const how =
    h.offsetMethod === 'one-way'
      ? `at most, from ${plural(h.offsetSamples, 'packet')} that crossed one way only (a bound, not a measure)`
      : h.offsetMethod === 'sightings'
        ? `from the first sightings of ${plural(h.offsetSamples, 'packet')} both hosts saw`
        : `from ${plural(h.offsetSamples, 'packet')} over the link between them`;
  return `${by}, ${how}`;
}
