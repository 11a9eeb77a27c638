import { describe, expect, it } from 'vitest';
import { firstAtLeast, maxOf, minOf, pushAll } from '../../src/report/arrays.js';

describe('array helpers past the argument limit', () => {
  const many = Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 300_007);

  it('pushAll appends every item, in order', () => {
    const to = [-1];
    pushAll(to, many);
    expect(to).toHaveLength(many.length + 1);
    expect(to[1]).toBe(many[0]);
    expect(to.at(-1)).toBe(many.at(-1));
  });

  it('maxOf and minOf agree with Math.max and Math.min', () => {
    expect(maxOf(many)).toBe(many.reduce((a, b) => Math.max(a, b)));
    expect(minOf(many)).toBe(many.reduce((a, b) => Math.min(a, b)));
    expect(maxOf([], 0)).toBe(0);
    expect(maxOf([])).toBe(Math.max());
    expect(minOf([])).toBe(Math.min());
    expect(minOf([3, 1, 2], 0)).toBe(0);
    expect(maxOf([1, Number.NaN])).toBeNaN();
  });
});

describe('firstAtLeast', () => {
  it('finds the first item at or above a value, ties to the first', () => {
    const sorted = [1, 3, 3, 3, 7].map((t) => ({ t }));
    const at = (v: number): number => firstAtLeast(sorted, v, (x) => x.t);
    expect([0, 1, 2, 3, 4, 7, 8].map(at)).toEqual([0, 0, 1, 1, 4, 4, 5]);
    expect(firstAtLeast([], 5, (x: number) => x)).toBe(0);
  });
});
