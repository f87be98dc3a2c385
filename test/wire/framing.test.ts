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

// Guards the `>= 2` bound: a length prefix alone (an empty message) completes a frame at once.
t.test('an empty message that ends a chunk is returned at once, not held back', async (t) => {
  const r = new FrameReader();
  const got = r.push(Buffer.concat([frame(Buffer.from('ab')), frame(Buffer.alloc(0))]));
  t.same(got.map((b) => b.toString()), ['ab', ''], 'both messages, the empty one last');
  t.equal(r.buffered, 0, 'nothing held back');
});

// Guards the copy of held-back bytes: a caller may reuse its chunk buffer once push() returns.
t.test('bytes held back are the reader\'s own copy', async (t) => {
  const r = new FrameReader();
  const whole = frame(Buffer.from('hello'));
  const chunk = Buffer.from(whole.subarray(0, 4));
  t.same(r.push(chunk), [], 'incomplete');
  chunk.fill(0x21); // the caller reuses its buffer
  const got = r.push(whole.subarray(4));
  t.same(got.map((b) => b.toString()), ['hello'], 'the message as it was sent');
});
