// A reply made the client's (its ID, RD bit, question name bytes; AD only if asked for), whoever answered.
import t from 'tap';
import { adOnlyIfAsked, stampClient } from '../../src/wire/client-reply.js';
import { parseQuery, type Question } from '../../src/wire/question.js';
import { answer, decode, query } from '../helpers/packets.js';

function questionOf(b: Buffer): Question {
  const p = parseQuery(b);
  if (p.kind !== 'query') throw new Error(`not a query: ${p.kind}`);
  return p.question;
}

// Guards the RD mask: the reply carries the client's RD bit (RFC 1035 §4.1.1), not the upstream's.
t.test("the client's RD bit replaces the answerer's, whichever way it differs", async (t) => {
  const asked = query('Web.Example', 'A', { id: 0x1111 }); // RD=1
  const client = query('wEB.eXAMPLE', 'A', { id: 0x2222 });
  client[2] &= ~0x01; // this client sent RD=0
  const out = answer(asked, ['10.0.0.1']);
  stampClient(out, client, questionOf(client));
  const d = decode(out);
  t.equal(d.flag_rd, false, 'RD=0 as the client sent it');
  t.equal(d.id, 0x2222, "the client's ID");
  t.equal(d.questions?.[0]?.name, 'wEB.eXAMPLE', "the client's letter case");
  t.equal(d.type, 'response', 'QR and the other flag bits stay the reply\'s');
  const back = answer(client, ['10.0.0.1']);
  back[2] &= ~0x01;
  stampClient(back, asked, questionOf(asked));
  t.equal(decode(back).flag_rd, true, 'RD=1 as the client sent it');
});

// Guards the AD rule (RFC 6840 §5.7, RFC 4035 §3.2.3): AD stays only for a client that set AD or
// DO; a cached AD=1 answer does not go out with AD=1 to a client that asked for neither.
t.test('AD stays for a client that set AD or DO, and is cleared for one that set neither', async (t) => {
  const validated = () => {
    const r = answer(query('a.example'), ['10.0.0.1']);
    r[3] |= 0x20;
    return r;
  };
  const ad = (client: Buffer) => {
    const out = validated();
    adOnlyIfAsked(out, client, questionOf(client));
    return decode(out).flag_ad;
  };
  const plain = query('a.example');
  t.equal(ad(plain), false, 'neither AD nor DO');
  const withAd = query('a.example');
  withAd[3] |= 0x20;
  t.equal(ad(withAd), true, 'AD=1 in the query');
  t.equal(ad(query('a.example', 'A', { edns: 1232, do: true })), true, 'DO=1');
  t.equal(ad(query('a.example', 'A', { edns: 1232 })), false, 'EDNS without DO');
  const out = answer(query('a.example'), ['10.0.0.1']);
  out[3] |= 0x10; // CD and the rest of the byte stay as they were
  adOnlyIfAsked(out, plain, questionOf(plain));
  t.equal(out[3]! & 0x10, 0x10, 'the other bits of the byte untouched');
});
