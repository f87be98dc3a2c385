// settleOnce and beforeDeadline: the first of a result, an error or the deadline settles the
// operation, once; what the operation set up is undone once, even when it settled while starting.
import t from 'tap';
import { beforeDeadline, Deadline, DeadlineSweep, settleOnce } from '../src/settle.js';

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

/** A record that notes its name in `expired` when it expires. */
class Named extends Deadline {
  constructor(
    readonly name: string,
    private readonly expired: string[],
    private readonly then?: () => void,
  ) {
    super();
  }
  expire(): void {
    this.expired.push(this.name);
    this.then?.();
  }
}

/** Resolves once `list` holds `n` entries (checked on each expiry through `then`). */
function whenCount(list: string[], n: number): { then: () => void; done: Promise<void> } {
  let resolve = () => {};
  const done = new Promise<void>((r) => (resolve = r));
  return { then: () => list.length === n && resolve(), done };
}

// Guards the heap's order (up, down): records expire earliest deadline first, whatever order they came in.
t.test('a DeadlineSweep expires its records in deadline order; removed ones never', async (t) => {
  const clock = { t: 0 };
  const sweep = new DeadlineSweep(() => clock.t);
  const expired: string[] = [];
  const deadlines = Array.from({ length: 200 }, (_, i) => ((i * 7919) % 200) + 1); // 1..200, shuffled
  const kept = deadlines.filter((_, i) => i % 3 !== 0).sort((a, b) => a - b).map(String);
  const w = whenCount(expired, kept.length);
  const records = deadlines.map((ms) => new Named(String(ms), expired, w.then));
  records.forEach((r, i) => sweep.add(r, deadlines[i]!));
  records.forEach((r, i) => i % 3 === 0 && sweep.remove(r)); // from anywhere in the heap
  t.equal(sweep.size, kept.length);
  clock.t = 1000; // every deadline has passed when the timer fires
  await w.done;
  t.same(expired, kept, 'earliest first, none of the removed');
  t.equal(sweep.size, 0);
  sweep.remove(records[1]!); // expired already: nothing to do
  t.equal(sweep.size, 0);
});

// Guards remove()'s check that the record is the one at its place in this sweep's heap.
t.test('removing a record twice, or from a sweep it is not in, changes nothing', async (t) => {
  const clock = { t: 0 };
  const a = new DeadlineSweep(() => clock.t);
  const b = new DeadlineSweep(() => clock.t);
  const expired: string[] = [];
  const w = whenCount(expired, 3);
  const x = new Named('x', expired, w.then);
  const y = new Named('y', expired, w.then);
  const z = new Named('z', expired, w.then);
  const gone = new Named('gone', expired, w.then);
  a.add(x, 10);
  a.add(gone, 15);
  b.add(y, 20);
  b.add(z, 30);
  a.remove(gone);
  a.remove(gone); // removed already
  b.remove(x); // x is at place 0 of a, not of b
  t.equal(a.size, 1);
  t.equal(b.size, 2, 'b keeps both of its records');
  clock.t = 1000;
  await w.done;
  t.same(expired.sort(), ['x', 'y', 'z'], 'each expires, in its own sweep');
});

// Guards the timer set again after a sweep, for a record added while expiring another.
t.test('a record added by an expiring one expires too', async (t) => {
  const sweep = new DeadlineSweep();
  const expired: string[] = [];
  const w = whenCount(expired, 2);
  sweep.add(new Named('first', expired, () => (sweep.add(new Named('second', expired, w.then), 1), undefined)), 1);
  await w.done;
  t.same(expired, ['first', 'second']);
});

// Guards disarm(): with no record left, the sweep's timer does not hold the process open.
t.test('the timer is cleared when the last record is removed', async (t) => {
  // process.getActiveResourcesInfo (Node 17.3) is not in @types/node 18's Process.
  const active = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo;
  const timers = () => active().filter((r) => r === 'Timeout').length;
  const before = timers();
  const sweep = new DeadlineSweep();
  const a = new Named('a', []);
  const b = new Named('b', []);
  sweep.add(a, 60_000);
  sweep.add(b, 30_000);
  t.equal(timers(), before + 1, 'one timer for two records');
  sweep.remove(b);
  t.equal(timers(), before + 1, 'still set while a record waits');
  sweep.remove(a);
  t.equal(timers(), before, 'cleared with the last record');
});

// Guards the Race's own removal from the sweep once the promise settles first.
t.test('beforeDeadline leaves nothing in its sweep once settled', async (t) => {
  const sweep = new DeadlineSweep();
  t.equal(await beforeDeadline(Promise.resolve(1), 60_000, () => ({ value: 0 }), sweep), 1);
  t.equal(sweep.size, 0, 'the value came first: its record is gone');
  t.equal(await beforeDeadline(new Promise<number>(() => {}), 1, () => ({ value: 2 }), sweep), 2);
  t.equal(sweep.size, 0, 'the deadline came first: gone as well');
});
