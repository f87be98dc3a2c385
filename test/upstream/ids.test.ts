// Query IDs drawn from the CSPRNG in batches (RFC 5452 §9.2).
import t from 'tap';
import { randomId } from '../../src/upstream/ids.js';

// Guards the refill at the end of a batch: every ID is a 16-bit number, across batch boundaries.
t.test('IDs stay 16-bit numbers across several batches', async (t) => {
  const ids = Array.from({ length: 3 * 4096 + 2 }, randomId);
  const bad = ids.filter((id) => !Number.isInteger(id) || id < 0 || id > 0xffff);
  t.same(bad, [], 'no ID outside 0..65535');
  t.ok(new Set(ids).size > 10_000, 'and they vary');
});
