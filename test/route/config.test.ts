// Zone names as routes hold them, from the config file and from --route.
import t from 'tap';
import { parseZone } from '../../src/route/config.js';

t.test('parseZone', async (t) => {
  t.same(parseZone(' Vagrant.Test. '), { ok: true, value: 'vagrant.test' });
  const bad: Array<[string, RegExp]> = [
    ['.', /root zone.*default:/],
    ['', /root zone.*default:/],
    ['a..b', /empty label/],
    ['.consul', /empty label/],
    [`${'a'.repeat(64)}.test`, /longer than 63/],
    [`${'a'.repeat(63)}.`.repeat(4) + 'ab', /at most 253/],
    ['*.consul', /label "\*" may contain only/],
    ['my zone', /label "my zone"/],
  ];
  for (const [text, reason] of bad) {
    const r = parseZone(text);
    t.equal(r.ok, false, `"${text}" is rejected`);
    if (!r.ok) t.match(r.reason, reason, `"${text}"`);
  }
  t.equal(parseZone(`${'a'.repeat(63)}.`.repeat(3) + 'a'.repeat(61)).ok, true, '253 characters are fine');
});
