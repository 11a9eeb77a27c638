/**
 * Fingerprints: numbers, not strings, because one is computed per frame (STYLE.md). Two independent
 * 32-bit FNV-1a style hashes give a 53-bit value that fits a double exactly, so collisions within a
 * correlation window of a few hundred milliseconds are out of the question in practice.
 */
export class FingerprintHasher {
  private a = 0x811c9dc5;
  private b = 0x01000193 ^ 0x5bd1e995;

  reset(): this {
    this.a = 0x811c9dc5;
    this.b = 0x01000193 ^ 0x5bd1e995;
    return this;
  }

  byte(v: number): this {
    this.a = Math.imul(this.a ^ (v & 0xff), 0x01000193);
    this.b = Math.imul(this.b ^ (v & 0xff), 0x5bd1e995);
    this.b ^= this.b >>> 15;
    return this;
  }

  u16(v: number): this {
    return this.byte(v >>> 8).byte(v);
  }

  u32(v: number): this {
    return this.byte(v >>> 24).byte(v >>> 16).byte(v >>> 8).byte(v);
  }

  /** As byte() for each, with the state in locals: this loop runs over up to 128 bytes of every frame. */
  bytes(buf: Uint8Array, start: number, end: number): this {
    let a = this.a;
    let b = this.b;
    for (let i = start; i < end; i++) {
      const v = buf[i];
      a = Math.imul(a ^ v, 0x01000193);
      b = Math.imul(b ^ v, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.a = a;
    this.b = b;
    return this;
  }

  /** The UTF-16 code units of `s`, then a separator, so that ("ab", "c") and ("a", "bc") differ. */
  text(s: string): this {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < s.length; i++) {
      const v = s.charCodeAt(i);
      a = Math.imul(a ^ v, 0x01000193);
      b = Math.imul(b ^ v, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.a = a;
    this.b = b;
    return this.byte(0x1f);
  }

  /** 53-bit value: 21 bits of one hash above 32 of the other. */
  value(): number {
    return (this.b >>> 11) * 0x1_0000_0000 + (this.a >>> 0);
  }
}
