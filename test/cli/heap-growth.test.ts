import { describe, expect, it } from 'vitest';
import { limitHeapGrowth } from '../../src/cli/heap-growth.js';

// That the flag lowers peak RSS is measured by `npm run bench` (README, Performance), not here.
describe('heap growth', () => {
  it("leaves a growth given in node's own options alone, in either spelling", () => {
    expect(limitHeapGrowth(['--heap-growing-percent=300'])).toBe(false);
    expect(limitHeapGrowth(['--max-old-space-size=4096', '--heap_growing_percent=10'])).toBe(false);
  });
});
