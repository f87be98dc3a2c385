// The question key: what changes the answer (case of the name does not; type, class, RD, CD, DO do).
import t from 'tap';
import { questionKey } from '../../src/wire/question-key.js';
import { parseQuery } from '../../src/wire/question.js';
import { query } from '../helpers/packets.js';

function key(b: Buffer): string {
  const p = parseQuery(b);
  if (p.kind !== 'query') throw new Error('bad test query');
  return questionKey(b, p.question);
}

t.test('case does not change the key; type, class, DO, CD and RD do', async (t) => {
  t.equal(key(query('WWW.Example.COM')), key(query('www.example.com')));
  t.equal(key(query('a.example', 'A', { edns: 512 })), key(query('a.example', 'A', { edns: 4096 })), 'EDNS size does not matter');
  t.not(key(query('a.example', 'A')), key(query('a.example', 'AAAA')));
  t.not(key(query('a.example', 'A', { edns: 1232, do: true })), key(query('a.example', 'A', { edns: 1232 })));
  const cd = query('a.example');
  cd[3] |= 0x10;
  t.not(key(cd), key(query('a.example')));
  const noRd = query('a.example');
  noRd[2] &= ~0x01;
  t.not(key(noRd), key(query('a.example')));
  const anyClass = query('a.example');
  anyClass[anyClass.length - 1] = 255; // CH and HS never reach the cache: parseQuery refuses them
  t.not(key(anyClass), key(query('a.example')), 'class ANY');
  t.not(key(query('a.b.example')), key(query('a\\.b.example')), 'a dot inside a label is another name');
});

t.test('only ASCII letters fold: other bytes in a label keep the key apart', async (t) => {
  const upper = query('x.example');
  const lower = query('x.example');
  upper[13] = 0xc0; // À in Latin-1
  lower[13] = 0xe0; // à
  t.not(key(upper), key(lower));
  const httpsType = query('a.example');
  httpsType[httpsType.length - 3] = 65; // type 65 (HTTPS): its low byte is 'A'
  const otherType = query('a.example');
  otherType[otherType.length - 3] = 97;
  t.not(key(httpsType), key(otherType), 'type bytes are not folded');
});
