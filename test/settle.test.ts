// settleOnce and beforeDeadline: the first of a result, an error or the deadline settles the
// operation, once; what the operation set up is undone once, even when it settled while starting.
import t from 'tap';
import { beforeDeadline, settleOnce } from '../src/settle.js';

// Guards `if (done) return`: later finish calls neither change the outcome nor undo twice.
t.test('a second finish is ignored: one outcome, one undo', async (t) => {
  let undone = 0;
  let finishLater: (v: number) => void = () => {};
  const p = settleOnce<number>(
    10_000,
    (finish) => {
      finishLater = (v) => finish(null, v);
      return () => undone++;
    },
    () => ({ value: -1 }),
  );
  finishLater(1);
  finishLater(2);
  t.equal(await p, 1, 'the first value');
  t.equal(undone, 1, 'undone once');
});

// Guards the deadline path settling once: a finish after the deadline undoes nothing more.
t.test('a finish after the deadline is ignored', async (t) => {
  let undone = 0;
  let deadlines = 0;
  let finishLater: () => void = () => {};
  const p = settleOnce<string>(
    1,
    (finish) => {
      finishLater = () => finish(null, 'late');
      return () => undone++;
    },
    () => (deadlines++, { error: new Error('too slow') }),
  );
  await t.rejects(p, { message: 'too slow' }, 'the deadline wins');
  finishLater();
  t.equal(deadlines, 1, 'the deadline ran once');
  t.equal(undone, 1, 'undone once, at the deadline');
});

// Guards `if (done) cleanup()`: an operation that settles while starting is still undone.
t.test('settled during start: what start set up is undone all the same', async (t) => {
  let undone = 0;
  const p = settleOnce<string>(
    10_000,
    (finish) => {
      finish(null, 'at once');
      return () => undone++;
    },
    () => ({ value: 'deadline' }),
  );
  t.equal(await p, 'at once');
  t.equal(undone, 1, 'the cleanup start returned ran');
});

// Guards the wrapping of a rejection that is not an Error: callers get an Error with its text.
t.test('beforeDeadline turns a non-Error rejection into an Error', async (t) => {
  const err = await beforeDeadline(Promise.reject('plain text'), 10_000, () => ({ value: 0 })).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof Error, 'an Error');
  t.equal((err as Error).message, 'plain text', 'with the rejection as its message');
  t.equal(await beforeDeadline(new Promise<number>(() => {}), 1, () => ({ value: 7 })), 7, 'the deadline value when nothing comes');
});
