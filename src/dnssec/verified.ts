// Signatures already verified, so that the same RRset signed by the same RRSIG is verified once
// while it is kept (as Unbound keeps an RRset's security with it in its cache): a zone's SOA, its
// NSEC or NSEC3 records and the RRSIG of a wildcard come back in answer after answer. The key is a
// digest of the signed data and the signature; the value the DNSKEY that verified them. Everything
// but the cryptography (the window, which keys are the zone's) is still checked on every use.
import { createHash } from 'node:crypto';

/** The most signatures kept; the oldest go first. */
const MAX_KEPT = 8192;

export class VerifiedSignatures {
  private readonly kept = new Map<string, Uint8Array>();

  /** The key of `data` signed with `signature`. */
  static key(data: Uint8Array, signature: Uint8Array): string {
    return createHash('sha256').update(data).update(signature).digest('base64');
  }

  /** The DNSKEY RDATA that verified the signature of `key`, if it was. */
  get(key: string): Uint8Array | undefined {
    return this.kept.get(key);
  }

  set(key: string, dnskeyRdata: Uint8Array): void {
    if (this.kept.size >= MAX_KEPT) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(key, dnskeyRdata);
  }
}
