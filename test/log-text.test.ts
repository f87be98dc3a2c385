// log_format: text turns each JSON line into one readable line: time, level, component, message,
// then key=value, with errors and objects compact and values with spaces quoted.
import t from 'tap';
import { textLine } from '../src/log-text.js';

const line = (record: Record<string, unknown>) => textLine(JSON.stringify(record) + '\n');

t.test('time, level, component, message, then the other fields in order', async (t) => {
  t.equal(
    line({ level: 40, time: '2026-12-01T19:34:06.123Z', name: 'dnsfwd', component: 'upstream', zone: '.', server: '127.0.0.1:53', down_ms: 5000, msg: 'upstream failed: moved to the back of the order' }),
    '2026-12-01T19:34:06.123Z WARN  upstream: upstream failed: moved to the back of the order zone=. server=127.0.0.1:53 down_ms=5000\n',
  );
  t.equal(line({ level: 30, time: 'T', name: 'dnsfwd', msg: 'dnsfwd started' }), 'T INFO  dnsfwd started\n', 'no component, no fields; name is not shown');
});

t.test('each level has its label, padded to one width', async (t) => {
  const labels = [10, 20, 30, 40, 50, 60].map((level) => line({ level, time: 'T', msg: 'm' }).slice(2, 8));
  t.same(labels, ['TRACE ', 'DEBUG ', 'INFO  ', 'WARN  ', 'ERROR ', 'FATAL ']);
  t.equal(line({ level: 35, time: 'T', msg: 'm' }), 'T L35   m\n', 'a custom level by its number');
});

t.test('values: plain, quoted when they have spaces, quotes, = or control characters; objects as compact JSON', async (t) => {
  const out = line({
    level: 30, time: 'T', msg: 'm', word: 'abc', spaced: 'a b', quote: 'say "x"', eq: 'a=b', empty: '', tab: 'a\tb', nl: 'a\nb',
    n: 1.5, yes: true, none: null, list: [1, 'x'], obj: { a: { b: 1 } },
  });
  t.equal(out, 'T INFO  m word=abc spaced="a b" quote="say \\"x\\"" eq="a=b" empty="" tab="a\\tb" nl="a\\nb" n=1.5 yes=true none=null list=[1,"x"] obj={"a":{"b":1}}\n');
  t.equal(out.split('\n').length, 2, 'one line');
});

t.test('a serialized error shows as its type and message, without the stack', async (t) => {
  const err = { type: 'TypeError', message: 'bad thing', stack: 'TypeError: bad thing\n    at x (y.js:1:1)' };
  t.equal(line({ level: 50, time: 'T', msg: 'failed', err }), 'T ERROR failed err="TypeError: bad thing"\n');
  t.equal(line({ level: 50, time: 'T', msg: 'failed', err: { message: 'plain', stack: 's' } }), 'T ERROR failed err=plain\n', 'no type: the message');
  t.equal(line({ level: 50, time: 'T', msg: 'm', e: { message: 'no stack' } }), 'T ERROR m e={"message":"no stack"}\n', 'an object with only a message is an object');
});

t.test('a message with a line break stays on one line; odd lines pass through', async (t) => {
  t.equal(line({ level: 30, time: 'T', msg: 'two\nlines' }), 'T INFO  "two\\nlines"\n');
  t.equal(line({ level: 30, time: 'T' }), 'T INFO  -\n', 'no message');
  t.equal(line({ msg: 'm' }), '- LOG   m\n', 'no level and no time');
  t.equal(textLine('not json\n'), 'not json\n');
  t.equal(textLine('not json'), 'not json\n', 'a newline is added');
  t.equal(textLine('[1,2]\n'), '[1,2]\n', 'JSON but not an object');
  t.equal(textLine('null'), 'null\n');
  t.equal(textLine('5'), '5\n', 'a number');
  t.equal(textLine('"text"\n'), '"text"\n', 'a string');
});
