/**
 * DNS text as tcpdump 4.99's print-domain.c prints it without -v: the header summary, questions of
 * a query, answers of a response, and the message length. It reads the raw bytes rather than the
 * DnsMessage view because tcpdump prints as far as the bytes go, even for messages our decoder
 * rejects as cut short or malformed.
 */
import { ipv4String, ipv6String, u16 } from '../bytes.js';

const INDIR_MASK = 0xc0;
const EDNS0_MASK = 0x40;
const MAXCDNAME = 255;
const T_OPT = 41;
const C_IN = 1;
const C_QU = 0x8000;
const C_CACHE_FLUSH = 0x8000;

const TYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 3: 'MD', 4: 'MF', 5: 'CNAME', 6: 'SOA', 7: 'MB', 8: 'MG', 9: 'MR', 10: 'NULL', 11: 'WKS',
  12: 'PTR', 13: 'HINFO', 14: 'MINFO', 15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB', 19: 'X25', 20: 'ISDN',
  21: 'RT', 22: 'NSAP', 23: 'NSAP_PTR', 24: 'SIG', 25: 'KEY', 26: 'PX', 27: 'GPOS', 28: 'AAAA', 29: 'LOC',
  30: 'NXT', 31: 'EID', 32: 'NIMLOC', 33: 'SRV', 34: 'ATMA', 35: 'NAPTR', 36: 'KX', 37: 'CERT', 38: 'A6',
  39: 'DNAME', 40: 'SINK', 41: 'OPT', 42: 'APL', 43: 'DS', 44: 'SSHFP', 45: 'IPSECKEY', 46: 'RRSIG',
  47: 'NSEC', 48: 'DNSKEY', 50: 'NSEC3', 51: 'NSEC3PARAM', 99: 'SPF', 100: 'UINFO', 101: 'UID', 102: 'GID',
  103: 'UNSPEC', 249: 'TKEY', 250: 'TSIG', 251: 'IXFR', 252: 'AXFR', 253: 'MAILB', 254: 'MAILA', 255: 'ANY',
  256: 'URI', 0xffff: 'UNSPECA',
};
const CLASS_NAMES: Record<number, string> = { 1: 'IN', 3: 'CHAOS', 4: 'HS', 255: 'ANY' };
const OPCODES = ['', ' inv_q', ' stat', ' op3', ' notify', ' update', ' op6', ' op7', ' op8', ' updateA', ' updateD', ' updateDA', ' updateM', ' updateMA', ' zoneInit', ' zoneRef'];
const RCODES = [
  '', ' FormErr', ' ServFail', ' NXDomain', ' NotImp', ' Refused', ' YXDomain', ' YXRRSet', ' NXRRSet', ' NotAuth',
  ' NotZone', ' Resp11', ' Resp12', ' Resp13', ' Resp14', ' NoChange', ' BadVers', ' Resp17', ' Resp18', ' Resp19',
  ' Resp20', ' Resp21', ' Resp22', ' BadCookie',
];

function typeName(t: number): string {
  return TYPE_NAMES[t] ?? `Type${t}`;
}
function className(c: number): string {
  return CLASS_NAMES[c] ?? `(Class ${c})`;
}
function rcodeText(r: number): string {
  return RCODES[r] ?? ` Resp${r & 0xfff}`;
}

/** tcpdump's fn_print_char: M- for bytes over 127, ^ for control characters. */
export function tcpdumpChar(c: number): string {
  let s = '';
  if (c > 0x7f) {
    c &= 0x7f;
    s += 'M-';
  }
  if (c < 0x20 || c === 0x7f) {
    c ^= 0x40;
    s += '^';
  }
  return s + String.fromCharCode(c);
}

/** Where the bytes run out: tcpdump abandons the packet with " [|domain]" (its longjmp). */
class Truncated {}
const TRUNCATED = new Truncated();

class Printer {
  out = '';
  constructor(
    readonly b: Uint8Array,
    /** Start of the DNS header: compression pointers count from here. */
    readonly bp: number,
    /** End of the bytes tcpdump may read (captured bytes within the IP datagram). */
    readonly snapend: number,
  ) {}

  has(o: number, n: number): boolean {
    return o >= 0 && o + n <= this.snapend;
  }
  u8(o: number): number {
    if (!this.has(o, 1)) throw TRUNCATED;
    return this.b[o];
  }
  u16(o: number): number {
    if (!this.has(o, 2)) throw TRUNCATED;
    return u16(this.b, o);
  }

  /** nd_printn: true when the bytes ran out first. */
  printn(o: number, n: number): boolean {
    while (n > 0 && o < this.snapend) {
      n--;
      this.out += tcpdumpChar(this.b[o++]);
    }
    return n !== 0;
  }

  labellen(o: number): number {
    if (!this.has(o, 1)) return -1;
    const i = this.b[o];
    if ((i & INDIR_MASK) === EDNS0_MASK) {
      const elt = i & ~INDIR_MASK;
      if (elt !== 0x01) {
        this.out += `<ELT ${elt}>`;
        return -1;
      }
      if (!this.has(o + 1, 1)) return -1;
      const bitlen = this.b[o + 1] || 256;
      return Math.floor((bitlen + 7) / 8) + 1;
    }
    return i;
  }

  /** ns_nskip: the offset after a name, or -1. */
  nskip(o: number): number {
    if (!this.has(o, 1)) return -1;
    let i = this.b[o++];
    while (i) {
      const kind = i & INDIR_MASK;
      if (kind === INDIR_MASK) return o + 1;
      if (kind === EDNS0_MASK) {
        if ((i & ~INDIR_MASK) !== 0x01 || !this.has(o, 1)) return -1;
        const bitlen = this.b[o] || 256;
        o += 1 + Math.floor((bitlen + 7) / 8);
      } else o += i;
      if (!this.has(o, 1)) return -1;
      i = this.b[o++];
    }
    return o;
  }

  /** fqdn_print: prints the name, returns the offset after it in place, or -1. */
  fqdn(o: number): number {
    let l = this.labellen(o);
    if (l === -1 || !this.has(o, 1)) return -1;
    let maxOffset = o - this.bp;
    let i = this.b[o++];
    let compress = false;
    let rp = -1;
    let nameChars = 0;
    if ((i & INDIR_MASK) !== INDIR_MASK) rp = o + l;
    if (i === 0) {
      this.out += '.';
      return rp;
    }
    while (i && o < this.snapend) {
      if ((i & INDIR_MASK) === INDIR_MASK) {
        if (!compress) {
          rp = o + 1;
          compress = true;
        }
        if (!this.has(o, 1)) return -1;
        const offset = ((i << 8) | this.b[o]) & 0x3fff;
        if (offset >= maxOffset) {
          this.out += '<BAD PTR>';
          return -1;
        }
        maxOffset = offset;
        o = this.bp + offset;
        if (!this.has(o, 1)) return -1;
        i = this.b[o];
        l = this.labellen(o);
        if (l === -1) return -1;
        o++;
        continue;
      }
      if ((i & INDIR_MASK) === EDNS0_MASK) {
        // Bit-string labels (RFC 2673, historic): tcpdump prints them; we stop like an unknown ELT.
        this.out += `<ELT ${i & ~INDIR_MASK}>`;
        return -1;
      }
      if (nameChars + l <= MAXCDNAME) {
        if (this.printn(o, l)) return -1;
      } else if (nameChars < MAXCDNAME) {
        if (this.printn(o, MAXCDNAME - nameChars)) return -1;
      }
      nameChars += l;
      o += l;
      if (nameChars <= MAXCDNAME) this.out += '.';
      nameChars++;
      if (!this.has(o, 1)) return -1;
      i = this.b[o];
      l = this.labellen(o);
      if (l === -1) return -1;
      o++;
      if (!compress) rp += l + 1;
    }
    if (nameChars > MAXCDNAME) this.out += '<DOMAIN NAME TOO LONG>';
    return rp;
  }

  qprint(o: number, mdns: boolean): number {
    const np = o;
    const after = this.nskip(o);
    if (after === -1 || !this.has(after, 4)) return -1;
    this.out += ` ${typeName(u16(this.b, after))}`;
    const i = u16(this.b, after + 2);
    const cls = mdns ? i & ~C_QU : i;
    if (cls !== C_IN) this.out += ` ${className(cls)}`;
    if (mdns) this.out += i & C_QU ? ' (QU)' : ' (QM)';
    this.out += '? ';
    const end = this.fqdn(np);
    return end === -1 ? -1 : end + 4;
  }

  rprint(o: number, mdns: boolean): number {
    let cp = this.nskip(o);
    if (cp === -1 || !this.has(cp, 10)) return this.snapend;
    const typ = this.u16(cp);
    const i = this.u16(cp + 2);
    cp += 4;
    const cls = mdns ? i & ~C_CACHE_FLUSH : i;
    if (cls !== C_IN && typ !== T_OPT) this.out += ` ${className(cls)}`;
    if (mdns && i & C_CACHE_FLUSH) this.out += ' (Cache flush)';
    let optFlags = 0;
    if (typ === T_OPT) optFlags = this.u16(cp + 2);
    cp += 4;
    const len = this.u16(cp);
    cp += 2;
    const rp = cp + len;
    this.out += ` ${typeName(typ)}`;
    if (rp > this.snapend) return -1;
    switch (typ) {
      case 1:
        if (!this.has(cp, 4)) return -1;
        this.out += ` ${ipv4String(this.b, cp)}`;
        break;
      case 2:
      case 5:
      case 12:
      case 39:
        this.out += ' ';
        if (this.fqdn(cp) === -1) return -1;
        break;
      case 15:
        this.out += ' ';
        if (!this.has(cp, 2)) return -1;
        if (this.fqdn(cp + 2) === -1) return -1;
        this.out += ` ${this.u16(cp)}`;
        break;
      case 16:
        while (cp < rp) {
          this.out += ' "';
          if (!this.has(cp, 1)) return -1;
          const n = this.b[cp];
          if (this.printn(cp + 1, n)) return -1;
          cp += 1 + n;
          this.out += '"';
        }
        break;
      case 33:
        this.out += ' ';
        if (!this.has(cp, 6)) return -1;
        if (this.fqdn(cp + 6) === -1) return -1;
        this.out += `:${this.u16(cp + 4)} ${this.u16(cp)} ${this.u16(cp + 2)}`;
        break;
      case 28:
        if (!this.has(cp, 16)) return -1;
        this.out += ` ${ipv6String(this.b, cp)}`;
        break;
      case 256:
        if (!this.has(cp, len)) return -1;
        this.out += ` ${this.u16(cp)} ${this.u16(cp + 2)} `;
        if (this.printn(cp + 4, len - 4)) return -1;
        break;
      case T_OPT:
        this.out += ` UDPsize=${cls}`;
        if (optFlags & 0x8000) this.out += ' DO';
        break;
      default:
        break;
    }
    return rp;
  }
}

/**
 * The text tcpdump prints for a DNS message at `start` of `length` bytes (the UDP payload, or the
 * TCP segment including its 2-byte prefix when `overTcp`). `snapend` bounds what may be read.
 */
export function formatDns(b: Uint8Array, start: number, length: number, snapend: number, overTcp: boolean, mdns: boolean): string {
  let prefix = '';
  let bp = start;
  if (overTcp) {
    if (length < 2) return ` [DNS over TCP: length ${length} < 2] (invalid)`;
    length -= 2;
    if (bp + 2 > snapend) return ' [|domain]';
    const declared = u16(b, bp);
    if (declared !== length) return ` [prefix length(${declared}) != length(${length})] (invalid)`;
    bp += 2;
    prefix = ' ';
  }
  if (length < 12) return `${prefix}domain [length ${length} < 12] (invalid)`;
  const p = new Printer(b, bp, snapend);
  p.out = prefix;
  try {
    formatMessage(p, length, mdns);
  } catch (e) {
    if (e !== TRUNCATED) throw e;
    p.out += ' [|domain]';
  }
  return p.out;
}

function formatMessage(p: Printer, length: number, mdns: boolean): void {
  const bp = p.bp;
  if (!p.has(bp, 12)) throw TRUNCATED;
  const b = p.b;
  const id = u16(b, bp);
  const flags = u16(b, bp + 2);
  let qd = u16(b, bp + 4);
  let an = u16(b, bp + 6);
  const ns = u16(b, bp + 8);
  const ar = u16(b, bp + 10);
  let rcode = flags & 0xf;
  // The OPT record's extended RCODE, found by skipping to the additional section.
  find: {
    let cp = bp + 12;
    for (let i = 0; i < qd; i++) {
      cp = p.nskip(cp);
      if (cp === -1) break find;
      cp += 4;
      if (cp >= p.snapend) break find;
    }
    for (let i = 0; i < an + ns; i++) {
      cp = p.nskip(cp);
      if (cp === -1) break find;
      cp += 8;
      if (cp + 2 > p.snapend) break find;
      cp += 2 + p.u16(cp);
      if (cp >= p.snapend) break find;
    }
    for (let i = 0; i < ar; i++) {
      cp = p.nskip(cp);
      if (cp === -1 || cp + 2 > p.snapend) break find;
      const type = p.u16(cp);
      cp += 4;
      if (cp + 1 > p.snapend) break find;
      if (type === T_OPT) {
        rcode |= p.u8(cp) << 4;
        break find;
      }
      cp += 4;
      if (cp + 2 > p.snapend) break find;
      cp += 2 + p.u16(cp);
      if (cp >= p.snapend) break find;
    }
  }
  const opcode = (flags >>> 11) & 0xf;
  if (flags & 0x8000) {
    p.out += `${id}${OPCODES[opcode]}${rcodeText(rcode)}${flags & 0x0400 ? '*' : ''}${flags & 0x0080 ? '' : '-'}${flags & 0x0200 ? '|' : ''}${flags & 0x0020 ? '$' : ''}`;
    if (qd !== 1) p.out += ` [${qd}q]`;
    let cp = bp + 12;
    for (let i = 0; i < qd; i++) {
      // print-domain.c separates the (unprinted without -vv) questions with commas all the same.
      if (i !== 0) p.out += ',';
      cp = p.nskip(cp);
      if (cp === -1) throw TRUNCATED;
      cp += 4;
    }
    p.out += ` ${an}/${ns}/${ar}`;
    if (an) {
      cp = p.rprint(cp, mdns);
      if (cp === -1) throw TRUNCATED;
      an--;
      while (cp < p.snapend && an) {
        p.out += ',';
        cp = p.rprint(cp, mdns);
        if (cp === -1) throw TRUNCATED;
        an--;
      }
    }
    if (an) throw TRUNCATED;
  } else {
    p.out += `${id}${OPCODES[opcode]}${flags & 0x0100 ? '+' : ''}${flags & 0x0010 ? '%' : ''}`;
    if (flags & 0x6cf) p.out += ` [b2&3=0x${flags.toString(16)}]`;
    if (opcode === 1) {
      if (qd) p.out += ` [${qd}q]`;
      if (an !== 1) p.out += ` [${an}a]`;
    } else {
      if (an) p.out += ` [${an}a]`;
      if (qd !== 1) p.out += ` [${qd}q]`;
    }
    if (ns) p.out += ` [${ns}n]`;
    if (ar) p.out += ` [${ar}au]`;
    let cp = bp + 12;
    if (qd) {
      cp = p.qprint(cp, mdns);
      if (cp === -1) throw TRUNCATED;
      qd--;
      while (cp < p.snapend && qd) {
        cp = p.qprint(cp, mdns);
        if (cp === -1) throw TRUNCATED;
        qd--;
      }
    }
    if (qd) throw TRUNCATED;
  }
  p.out += ` (${length})`;
}
