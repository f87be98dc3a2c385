// DNS over TCP framing: whole messages out of a stream however it is chopped.
import t from 'tap';
import { FrameReader, frame } from '../../src/wire/framing.js';

t.test('frames survive any chopping of the stream', async (t) => {
  const msgs = [Buffer.from('first message'), Buffer.alloc(0), Buffer.alloc(300, 7), Buffer.from('x')];
  const stream = Buffer.concat(msgs.map(frame));
  for (const size of [1, 2, 3, 7, stream.length]) {
    const r = new FrameReader();
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i += size) got.push(...r.push(stream.subarray(i, i + size)));
    t.same(got.map((b) => b.toString('hex')), msgs.map((b) => b.toString('hex')), `chunks of ${size}`);
    t.equal(r.buffered, 0);
  }
});

t.test('an incomplete frame is held back', async (t) => {
  const r = new FrameReader();
  t.same(r.push(Buffer.from([0, 10, 1, 2, 3])), []);
  t.equal(r.buffered, 5);
  t.equal(r.push(Buffer.alloc(7)).length, 1);
  t.equal(r.buffered, 0);
});

t.test('frame() prefixes the length', async (t) => {
  t.same([...frame(Buffer.from([9, 9, 9]))], [0, 3, 9, 9, 9]);
});
