/**
 * JSON written as UTF-8 straight into a growing buffer: exactly the bytes JSON.stringify gives, for
 * records written millions of times (journeys), without the intermediate objects and strings that
 * stringifying a record made for each of them.
 */
export class JsonBytes {
  private buf: Buffer;
  private spare: Buffer | undefined;
  private at = 0;

  constructor(private readonly initial = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Bytes written since the last take(). */
  get length(): number {
    return this.at;
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  /**
   * The bytes written, handed over; writing starts afresh in the buffer handed over the time before.
   * So the caller is done with what it took (has written it out) before it takes again. A fresh
   * buffer at every take was external memory that outlived its write until V8's next full
   * collection: 40 MB of the peak RSS of `analyze --ndjson`, which takes a megabyte at a time.
   */
  take(): Buffer {
    const out = this.buf.subarray(0, this.at);
    const spare = this.spare;
    this.spare = this.buf;
    this.buf = spare ?? Buffer.allocUnsafe(Math.max(this.initial, this.buf.length));
    this.at = 0;
    return out;
  }

  /** Text that is ASCII with nothing to escape: keys the caller wrote, punctuation, indentation. */
  ascii(s: string): void {
    const n = s.length;
    this.room(n);
    const b = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) b[at++] = s.charCodeAt(i);
    this.at = at;
  }

  /** Any text as it is (JSON already serialised), in UTF-8. */
  text(s: string): void {
    if (s.length === 0) return;
    // A UTF-16 unit is at most three bytes of UTF-8 (a surrogate pair, two units, is four).
    this.room(s.length * 3);
    this.at += this.buf.write(s, this.at, 'utf8');
  }

  /**
   * A string as JSON.stringify writes it. Most are addresses, interface names and digits: printable
   * ASCII, copied as they are scanned; one that holds a quote, a backslash, a control character or
   * anything beyond ASCII (a lone surrogate is escaped, a pair is not) is left to JSON.stringify.
   */
  string(s: string): void {
    const n = s.length;
    this.room(n + 2);
    const b = this.buf;
    let at = this.at;
    b[at++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7f) {
        this.text(JSON.stringify(s));
        return;
      }
      b[at++] = c;
    }
    b[at++] = 0x22;
    this.at = at;
  }

  /** Bytes made before (keys and their punctuation, Fragments). */
  bytes(u: Uint8Array): void {
    const n = u.length;
    this.room(n);
    if (n > 16) {
      this.buf.set(u, this.at);
      this.at += n;
      return;
    }
    const b = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) b[at++] = u[i];
    this.at = at;
  }

  /** A number as JSON.stringify writes it: -0 as 0, NaN and the infinities as null. */
  number(n: number): void {
    if ((n | 0) !== n || n < 0) {
      this.ascii(Number.isFinite(n) ? String(n) : 'null');
      return;
    }
    this.digits(n);
  }

  /** A non-negative 31-bit integer's decimal digits, at least `width` of them (zeros in front). */
  digits(n: number, width = 1): void {
    let count = 1;
    for (let m = n; m >= 10; m = (m / 10) | 0) count++;
    if (count < width) count = width;
    this.room(count);
    const b = this.buf;
    let at = this.at + count;
    this.at = at;
    for (let i = 0; i < count; i++) {
      const q = (n / 10) | 0;
      b[--at] = 0x30 + n - q * 10;
      n = q;
    }
  }
}

const encoder = new TextEncoder();

/**
 * Text as UTF-8 in a plain Uint8Array, as JsonBytes.bytes() takes it: one kind of array for all
 * (not Buffers beside them), so that copying them stays one fast path.
 */
export function encoded(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A newline and the indentation of `depth` levels of JSON.stringify(x, null, 2). */
export function indent(depth: number): string {
  return `\n${'  '.repeat(depth)}`;
}

/** Values whose fragments a Fragments keeps, before it starts again: memory stays bounded. */
const MAX_FRAGMENTS = 1 << 14;

/**
 * A piece of JSON that comes back with the same values again and again (a hop's interface, file,
 * addresses and MACs with their keys): `head`, a value as a JSON string, `tail`; or for a pair,
 * `head`, the first, `middle`, the second, `tail`. Encoded once per value (or pair) and copied whole
 * after, which costs less than scanning each string and copying each key again.
 */
export class Fragments {
  /** A value's fragment; for a pair, the first value's fragments by the second. */
  private readonly made = new Map<string, Uint8Array | Map<string, Uint8Array>>();
  private count = 0;
  private readonly scratch = new JsonBytes(256);

  constructor(
    private readonly head: string,
    private readonly tail: string,
    /** Given for a pair (writePair; write for one value): what goes between its values. */
    private readonly middle?: string,
  ) {}

  /** The fragment of `a`. */
  write(out: JsonBytes, a: string): void {
    let bytes = this.made.get(a) as Uint8Array | undefined;
    if (bytes === undefined) {
      this.room();
      bytes = this.make(a, '');
      this.made.set(a, bytes);
    }
    out.bytes(bytes);
  }

  /** The fragment of the pair `a`, `b`. */
  writePair(out: JsonBytes, a: string, b: string): void {
    let second = this.made.get(a) as Map<string, Uint8Array> | undefined;
    let bytes = second?.get(b);
    if (bytes === undefined) {
      if (this.room()) second = undefined;
      if (second === undefined) {
        second = new Map();
        this.made.set(a, second);
      }
      bytes = this.make(a, b);
      second.set(b, bytes);
    }
    out.bytes(bytes);
  }

  /** Room for one more: true when the ones made were forgotten to make it. */
  private room(): boolean {
    if (this.count++ < MAX_FRAGMENTS) return false;
    this.made.clear();
    this.count = 1;
    return true;
  }

  private make(a: string, b: string): Uint8Array {
    const s = this.scratch;
    s.ascii(this.head);
    s.string(a);
    if (this.middle !== undefined) {
      s.ascii(this.middle);
      s.string(b);
    }
    s.ascii(this.tail);
    return new Uint8Array(s.take());
  }
}
