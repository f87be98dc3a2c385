// Raw accessors for the 12-byte DNS header (RFC 1035 §4.1.1). No allocation, no validation
// beyond what each accessor says; callers check `length >= HEADER_SIZE` first.

export const HEADER_SIZE = 12;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended RCODE (RFC 6891 §9): the upper 8 bits travel in the OPT record. */
  BADVERS: 16,
} as const;
export type RcodeValue = (typeof Rcode)[keyof typeof Rcode];

export const OPCODE_QUERY = 0;

export const readId = (b: Uint8Array): number => (b[0]! << 8) | b[1]!;

export function writeId(b: Uint8Array, id: number): void {
  b[0] = id >>> 8;
  b[1] = id & 0xff;
}

/** QR bit: 1 in responses. */
export const isResponse = (b: Uint8Array): boolean => (b[2]! & 0x80) !== 0;
export const opcode = (b: Uint8Array): number => (b[2]! >>> 3) & 0x0f;
/** TC bit: the message was truncated (RFC 1035 §4.1.1). */
export const isTruncated = (b: Uint8Array): boolean => (b[2]! & 0x02) !== 0;
export const rcode = (b: Uint8Array): number => b[3]! & 0x0f;

export function setTruncated(b: Uint8Array): void {
  b[2]! |= 0x02;
}

/** RA: we are a recursive resolver as far as clients can tell. */
export function setRecursionAvailable(b: Uint8Array): void {
  b[3]! |= 0x80;
}

export const qdcount = (b: Uint8Array): number => (b[4]! << 8) | b[5]!;
export const ancount = (b: Uint8Array): number => (b[6]! << 8) | b[7]!;
export const nscount = (b: Uint8Array): number => (b[8]! << 8) | b[9]!;
export const arcount = (b: Uint8Array): number => (b[10]! << 8) | b[11]!;

export function writeArcount(b: Uint8Array, ar: number): void {
  b[10] = ar >>> 8;
  b[11] = ar & 0xff;
}

export function writeCounts(b: Uint8Array, qd: number, an: number, ns: number, ar: number): void {
  b[4] = qd >>> 8;
  b[5] = qd & 0xff;
  b[6] = an >>> 8;
  b[7] = an & 0xff;
  b[8] = ns >>> 8;
  b[9] = ns & 0xff;
  b[10] = ar >>> 8;
  b[11] = ar & 0xff;
}
