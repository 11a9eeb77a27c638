import { describe, expect, it } from 'vitest';
import { plural, pluralOf } from '../../src/correlate/plural.js';

describe('plural', () => {
  it('counts the labels findings and stories use in English', () => {
    expect(plural(1, 'DNS query')).toBe('1 DNS query');
    expect(plural(2, 'DNS query')).toBe('2 DNS queries');
    expect(pluralOf('ICMP echo reply')).toBe('ICMP echo replies');
    expect(pluralOf('TCP SYN')).toBe('TCP SYNs');
    expect(pluralOf('day')).toBe('days');
    expect(pluralOf('address')).toBe('addresses');
    expect(pluralOf('pass')).toBe('passes');
    expect(plural(3, 'datum', 'data')).toBe('3 data');
  });
});
