// The least a Node.js UDP server can do to answer a query, to measure what Node itself costs per
// cache hit under memory.sh's load: one socket, every query answered at once with its own question
// and one A record (10.0.0.0, TTL 3600), sent with a `lookup` that hands the client's literal
// address back (as dnsfwd's listener does). No cache, no parsing beyond the question's end, no
// checks: not a DNS server to use, only the floor under dnsfwd's hits (bench/README.md).
// FLOOR_LISTEN: the address to answer on (port 53). memory.sh runs it under dnsfwd's node flags
// and ignores the arguments it appends.
import dgram from 'node:dgram';

if (!process.env.FLOOR_LISTEN) {
  console.error('floor-echo: set FLOOR_LISTEN=ADDRESS');
  process.exit(2);
}
// NAME pointer to offset 12, type A, class IN, TTL 3600, RDLENGTH 4, 10.0.0.0.
const ANSWER = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 10, 0, 0, 0]);
const literal = (address, family, callback) => callback(null, address, family === 6 ? 6 : 4);
const server = dgram.createSocket({ type: 'udp4', lookup: literal });
server.on('message', (msg, rinfo) => {
  if (msg.length < 17 || rinfo.port === 0) return;
  let i = 12;
  while (i < msg.length && msg[i] !== 0) i += msg[i] + 1; // the question's name, uncompressed
  const end = i + 5; // the root label, QTYPE and QCLASS
  if (end > msg.length) return;
  const reply = Buffer.allocUnsafe(end + ANSWER.length);
  reply.set(msg.subarray(0, end), 0);
  reply[2] = 0x80 | (msg[2] & 0x79); // QR; opcode and RD copied
  reply[3] = 0x80; // RA, NOERROR
  reply.writeUInt32BE(0x00010001, 4); // QDCOUNT 1, ANCOUNT 1
  reply.writeUInt32BE(0, 8); // NSCOUNT, ARCOUNT 0
  reply.set(ANSWER, end);
  server.send(reply, rinfo.port, rinfo.address);
});
server.bind(53, process.env.FLOOR_LISTEN);
