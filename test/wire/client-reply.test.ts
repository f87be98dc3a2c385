// stampClient: a reply made the client's (its ID, RD bit and question name bytes), whoever answered.
import t from 'tap';
import { stampClient } from '../../src/wire/client-reply.js';
import { answer, decode, query } from '../helpers/packets.js';

// Guards the RD mask: the reply carries the client's RD bit (RFC 1035 §4.1.1), not the upstream's.
t.test("the client's RD bit replaces the answerer's, whichever way it differs", async (t) => {
  const asked = query('Web.Example', 'A', { id: 0x1111 }); // RD=1
  const client = query('wEB.eXAMPLE', 'A', { id: 0x2222 });
  client[2] &= ~0x01; // this client sent RD=0
  const out = answer(asked, ['10.0.0.1']);
  stampClient(out, client, client.length);
  const d = decode(out);
  t.equal(d.flag_rd, false, 'RD=0 as the client sent it');
  t.equal(d.id, 0x2222, "the client's ID");
  t.equal(d.questions?.[0]?.name, 'wEB.eXAMPLE', "the client's letter case");
  t.equal(d.type, 'response', 'QR and the other flag bits stay the reply\'s');
  const back = answer(client, ['10.0.0.1']);
  back[2] &= ~0x01;
  stampClient(back, asked, asked.length);
  t.equal(decode(back).flag_rd, true, 'RD=1 as the client sent it');
});
