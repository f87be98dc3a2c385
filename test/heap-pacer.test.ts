// The heap pacer: a full collection once V8's used heap has grown by the step since the last
// collection, whether that was the pacer's or V8's own; nothing while the heap does not grow.
import t from 'tap';
import { HeapPacer, PACER_STEP } from '../src/heap-pacer.js';

const MiB = 1 << 20;

/** A heap that grows by what the test says, and a collection that brings it back to `live`. */
function fakeHeap(live: number) {
  const h = { used: live, live, collections: 0 };
  const gauge = { used: () => h.used, collect: () => ((h.used = h.live), h.collections++) };
  return { h, gauge };
}

t.test('collects once the heap has grown by more than the step, and measures growth from there', async (t) => {
  const { h, gauge } = fakeHeap(8 * MiB);
  const pacer = new HeapPacer(gauge, () => 3 * MiB);
  h.used += 2 * MiB;
  t.notOk(pacer.tick(), '2 MiB of growth: no collection');
  h.used += 1 * MiB;
  t.notOk(pacer.tick(), 'exactly the step: no collection');
  h.used += 1;
  t.ok(pacer.tick(), 'past the step: a collection');
  t.equal(h.collections, 1);
  t.equal(h.used, 8 * MiB);
  h.live = 9 * MiB; // what survives grows: the next step is counted from it
  h.used = 11.5 * MiB;
  t.ok(pacer.tick(), '3.5 MiB past the last collection');
  t.equal(h.used, 9 * MiB);
  h.used = 12 * MiB;
  t.notOk(pacer.tick(), '3 MiB past 9: not yet');
  t.equal(pacer.collections, 2);
});

t.test('a collection of V8\'s own moves the base down: growth is counted from what it left', async (t) => {
  const { h, gauge } = fakeHeap(10 * MiB);
  const pacer = new HeapPacer(gauge, () => 3 * MiB);
  h.used = 7 * MiB; // V8 collected on its own
  t.notOk(pacer.tick());
  h.used = 10.5 * MiB;
  t.ok(pacer.tick(), '3.5 MiB past what V8 left (0.5 past the first base)');
});

t.test('a step of 0 turns pacing off; a new step applies at the next look', async (t) => {
  const { h, gauge } = fakeHeap(8 * MiB);
  let step = 0;
  const pacer = new HeapPacer(gauge, () => step);
  h.used = 100 * MiB;
  t.notOk(pacer.tick(), 'off: V8 alone decides');
  step = 2 * MiB;
  t.ok(pacer.tick(), 'a reload set 2 MiB: collected');
  t.equal(h.collections, 1);
});

t.test('an idle heap is never collected', async (t) => {
  const { h, gauge } = fakeHeap(8 * MiB);
  const pacer = new HeapPacer(gauge);
  for (let i = 0; i < 1000; i++) pacer.tick();
  t.equal(h.collections, 0);
  t.equal(PACER_STEP, 2 * MiB);
});
