import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Lab tests create network namespaces; running files in parallel would be fine for them (unique
    // prefixes) but the machine has two cores and tshark/tcpdump comparisons are CPU-heavy.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ['default'],
  },
});
