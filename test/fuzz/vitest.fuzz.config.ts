import { defineConfig } from 'vitest/config';

// `npm run fuzz`: the long run. FUZZ_CASES (default 20000) and FUZZ_SEED (default random) choose it;
// failing inputs are kept in test/fixtures/fuzz/ and replayed by every later `npm test`.
export default defineConfig({
  test: {
    include: ['test/fuzz/fuzz.test.ts'],
    // The hang guard kills its own process; a fork keeps that from taking vitest down with it.
    pool: 'forks',
    testTimeout: 0,
    env: { FUZZ_MODE: 'long' },
    reporters: ['default'],
  },
});
