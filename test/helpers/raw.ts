// DNS messages byte by byte, for the malformed or unusual shapes that encoders will not produce.

/** The question `a.example` A IN in wire format. */
export const QUESTION = [1, 0x61, 7, ...Buffer.from('example'), 0, 0, 1, 0, 1];

/** The root name, and `name` (dot-separated labels) in wire format, uncompressed. */
export const ROOT = [0];
export const wireName = (name: string): number[] => [...name.split('.').flatMap((l) => [l.length, ...Buffer.from(l, 'latin1')]), 0];

/** A resource record: owner name bytes, type, class, TTL and `rdata`. */
export function rr(owner: number[], type: number, klass: number, ttl: number, rdata: number[] = []): number[] {
  return [
    ...owner,
    type >> 8, type & 0xff,
    klass >> 8, klass & 0xff,
    (ttl >>> 24) & 0xff, (ttl >>> 16) & 0xff, (ttl >>> 8) & 0xff, ttl & 0xff,
    rdata.length >> 8, rdata.length & 0xff,
    ...rdata,
  ];
}

/** An OPT record without options (RFC 6891 §6.1.2): root owner, UDP size in the class field. */
export const optRecord = (udpSize = 1232): number[] => rr(ROOT, 41, udpSize, 0);

/** SOA RDATA (RFC 1035 §3.3.13): MNAME, RNAME, then SERIAL, REFRESH, RETRY, EXPIRE and `minimum`. */
export function soaRdata(minimum: number): number[] {
  const fields = [1, 3600, 600, 86400, minimum].flatMap((v) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
  return [...wireName('ns.example'), ...wireName('admin.example'), ...fields];
}

/** A SOA record for `example` with the given TTL and MINIMUM. */
export const soaRecord = (ttl: number, minimum: number): number[] => rr(wireName('example'), 6, 1, ttl, soaRdata(minimum));

/** A message: header with `flags` and the section counts, the question `a.example` A, then `records`. */
export function message(flags: number, counts: { an?: number; ns?: number; ar?: number }, ...records: number[][]): Buffer {
  const header = [0x12, 0x34, flags >> 8, flags & 0xff, 0, 1, 0, counts.an ?? 0, 0, counts.ns ?? 0, 0, counts.ar ?? 0];
  return Buffer.from([...header, ...QUESTION, ...records.flat()]);
}

/** Where the question of `message` ends. */
export const QUESTION_END = 12 + QUESTION.length;
