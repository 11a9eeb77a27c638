/**
 * pcapng timestamps: a 64-bit count of units of if_tsresol (10^-n or 2^-n seconds, the top bit saying
 * which) since the epoch, plus if_tsoffset whole seconds. Converted exactly to seconds and
 * nanoseconds; the result is left in `sec` / `nsec` so that the hot path allocates nothing.
 */
export class TimestampConverter {
  sec = 0;
  nsec = 0;
  readonly decimal: boolean;
  readonly exponent: number;
  private readonly unitsPerSecond: bigint;
  private readonly offsetSec: number;
  /** For 10^-n with n <= 9: nanoseconds per unit. */
  private readonly nsPerUnit: number;

  /** `tsresol` is the raw if_tsresol byte (6 when absent); `offsetSec` is if_tsoffset. */
  constructor(tsresol: number, offsetSec = 0) {
    this.decimal = (tsresol & 0x80) === 0;
    this.exponent = tsresol & 0x7f;
    this.unitsPerSecond = this.decimal ? 10n ** BigInt(this.exponent) : 1n << BigInt(this.exponent);
    this.offsetSec = offsetSec;
    this.nsPerUnit = this.decimal && this.exponent <= 9 ? 10 ** (9 - this.exponent) : 0;
  }

  convert(high: number, low: number): void {
    // Microseconds since the epoch fit a double exactly (below 2^53) until the year 2255.
    if (this.nsPerUnit !== 0 && high < 0x200000) {
      const units = high * 0x1_0000_0000 + low;
      const perSec = Number(this.unitsPerSecond);
      const sec = Math.floor(units / perSec);
      this.sec = sec + this.offsetSec;
      this.nsec = (units - sec * perSec) * this.nsPerUnit;
      return;
    }
    this.convertBig((BigInt(high) << 32n) | BigInt(low));
  }

  private convertBig(units: bigint): void {
    const perSec = this.unitsPerSecond;
    let sec = units / perSec;
    const rest = units % perSec;
    let nsec: bigint;
    if (this.nsPerUnit !== 0) {
      nsec = rest * BigInt(this.nsPerUnit);
    } else {
      // Finer than a nanosecond (10^-10 and below) or binary (2^-n): not exact in nanoseconds, so the
      // fraction is rounded to the nearest nanosecond, halves up. 2^-n with n <= 9 is always exact.
      nsec = (rest * 1_000_000_000n * 2n + perSec) / (perSec * 2n);
      if (nsec === 1_000_000_000n) {
        sec += 1n;
        nsec = 0n;
      }
    }
    this.sec = Number(sec) + this.offsetSec;
    this.nsec = Number(nsec);
  }

  /** The inverse, for writers: whole units nearest to `ns` nanoseconds since the epoch. */
  unitsOf(ns: bigint): bigint {
    const scaled = (ns - BigInt(this.offsetSec) * 1_000_000_000n) * this.unitsPerSecond;
    return (scaled * 2n + 1_000_000_000n) / 2_000_000_000n;
  }
}
