import { describe, expect, it } from 'vitest';
import { findingsForPeople } from '../../src/correlate/findings.js';
import type { Finding } from '../../src/correlate/model.js';

const finding = (code: string, severity: Finding['severity'], n: number): Finding => ({ code, severity, message: `${code} ${n}` });

describe('findingsForPeople', () => {
  it('shows every finding, in order, when there are few', () => {
    const few = [finding('no-reply', 'warning', 1), finding('dropped-at-host', 'error', 2)];
    expect(findingsForPeople(few, 50)).toEqual({ shown: few, hidden: 0, left: [] });
  });

  it('shows errors first and counts what is left out by code, the most first', () => {
    const many = [
      ...Array.from({ length: 70 }, (_, i) => finding('no-reply', 'warning', i)),
      finding('dropped-at-host', 'error', 100),
      ...Array.from({ length: 5 }, (_, i) => finding('retransmission', 'warning', 200 + i)),
    ];
    const { shown, hidden, left } = findingsForPeople(many, 50);
    expect(shown).toHaveLength(50);
    expect(hidden).toBe(26);
    expect(shown[0].message).toBe('dropped-at-host 100');
    // Within a severity, the order of the analysis.
    expect(shown.slice(1).map((f) => f.message)).toEqual(Array.from({ length: 49 }, (_, i) => `no-reply ${i}`));
    expect(left).toEqual([
      { code: 'no-reply', count: 21 },
      { code: 'retransmission', count: 5 },
    ]);
  });
});
