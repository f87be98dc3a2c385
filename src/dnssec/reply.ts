// A validated reply made the client's: rebuilt from its decoded records with AD as validation found
// it (RFC 4035 §3.2.3), TTLs capped by the signatures (RFC 4035 §5.3.3), RRSIG, NSEC and NSEC3 left
// out for a client that did not set DO unless it asked for that type (RFC 4035 §3.2.1), and names
// compressed again (RFC 1035 §4.1.4: owner names only, RDATA as decoded).
import type { Sections } from './api.js';
import { lowerName } from './names.js';
import { TYPE_NSEC, TYPE_NSEC3, TYPE_RRSIG, type Rr } from './types.js';
import { capKey } from './validate.js';
import * as h from '../wire/header.js';
import type { Edns } from '../wire/question.js';
import { writeOpt, OPT_SIZE } from '../wire/opt.js';

export interface Shape {
  readonly ad: boolean;
  /** Leave RRSIG, NSEC and NSEC3 in (the client set DO). */
  readonly keepDnssec: boolean;
  /** TTL caps by capKey(owner, type). */
  readonly caps: ReadonlyMap<string, number> | null;
  /** The client's EDNS: our OPT record goes last when it sent one. */
  readonly edns: Edns | null;
}

const DNSSEC_TYPES = new Set([TYPE_RRSIG, TYPE_NSEC, TYPE_NSEC3]);

/** `reply` (header and question as the upstream sent them, the client's ID and name) rebuilt with `sections` shaped by `s`. */
export function shapeReply(reply: Uint8Array, questionEnd: number, qtype: number, sections: Sections, s: Shape): Buffer {
  const keep = (rr: Rr) => s.keepDnssec || !DNSSEC_TYPES.has(rr.type) || rr.type === qtype;
  const parts = [sections.answer.filter(keep), sections.authority.filter(keep), sections.additional.filter(keep)];
  const w = new Writer(reply.subarray(0, questionEnd));
  for (const part of parts) for (const rr of part) w.record(rr, capOf(rr, s.caps));
  if (s.edns) w.opt(s.edns.dnssecOk);
  const out = w.done();
  out[3] = s.ad ? out[3]! | 0x20 : out[3]! & 0xdf;
  h.writeCounts(out, 1, parts[0]!.length, parts[1]!.length, parts[2]!.length + (s.edns ? 1 : 0));
  return out;
}

function capOf(rr: Rr, caps: ReadonlyMap<string, number> | null): number {
  if (!caps) return rr.ttl;
  // An RRSIG is kept as long as the set it covers.
  const type = rr.type === TYPE_RRSIG && rr.rdata.length >= 2 ? (rr.rdata[0]! << 8) | rr.rdata[1]! : rr.type;
  const cap = caps.get(capKey(rr.owner, type));
  return cap === undefined ? rr.ttl : Math.min(rr.ttl, cap);
}

/** Appends records to a copy of header + question, compressing owner names against earlier ones. */
class Writer {
  private buf: Buffer;
  private len: number;
  /** Names (lower case, as latin1 strings of their wire bytes) already written, by offset. */
  private readonly names = new Map<string, number>();

  constructor(head: Uint8Array) {
    this.buf = Buffer.allocUnsafe(Math.max(512, head.length * 4));
    this.buf.set(head);
    this.len = head.length;
    this.remember(lowerName(head.subarray(h.HEADER_SIZE, head.length - 4)), h.HEADER_SIZE);
  }

  record(rr: Rr, ttl: number): void {
    this.room(rr.owner.length + 10 + rr.rdata.length);
    this.name(rr.owner);
    const b = this.buf;
    b.writeUInt16BE(rr.type, this.len);
    b.writeUInt16BE(rr.class, this.len + 2);
    b.writeUInt32BE(Math.max(0, Math.min(ttl, 0x7fffffff)), this.len + 4);
    b.writeUInt16BE(rr.rdata.length, this.len + 8);
    b.set(rr.rdata, this.len + 10);
    this.len += 10 + rr.rdata.length;
  }

  opt(dnssecOk: boolean): void {
    this.room(OPT_SIZE);
    writeOpt(this.buf, this.len, dnssecOk);
    this.len += OPT_SIZE;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** Writes `name` (wire, uncompressed): its labels up to the longest suffix already written, then a pointer. */
  private name(name: Uint8Array): void {
    const lower = lowerName(name);
    const start = this.len;
    for (let pos = 0; ; pos += name[pos]! + 1) {
      if (name[pos] === 0) {
        this.buf[this.len++] = 0;
        break;
      }
      const at = this.names.get(Buffer.from(lower.subarray(pos)).toString('latin1'));
      if (at !== undefined) {
        this.buf[this.len++] = 0xc0 | (at >> 8);
        this.buf[this.len++] = at & 0xff;
        break;
      }
      const n = name[pos]! + 1;
      this.buf.set(name.subarray(pos, pos + n), this.len);
      this.len += n;
    }
    this.remember(lower, start);
  }

  /** Records every suffix of `lower` (written at `at`) that is not yet known, while its offset fits a pointer. */
  private remember(lower: Uint8Array, at: number): void {
    for (let pos = 0; lower[pos] !== 0 && at + pos < 0x4000 && pos < lower.length; pos += lower[pos]! + 1) {
      const key = Buffer.from(lower.subarray(pos)).toString('latin1');
      if (!this.names.has(key)) this.names.set(key, at + pos);
    }
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}
