// Random query IDs from the CSPRNG (RFC 5452 §9.2), drawn in batches to keep the cost low.
import { randomFillSync } from 'node:crypto';

const BATCH = 4096;
const pool = new Uint16Array(BATCH);
let next = BATCH;

export function randomId(): number {
  if (next === BATCH) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]!;
}
