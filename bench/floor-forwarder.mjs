// The least a Node.js UDP forwarder can do, to measure what Node itself costs under memory.sh's
// load: one listening socket, 8 connected sockets to one upstream, the query ID rewritten to find
// the client again. No cache, no parsing, no timeouts, no port randomisation: not a DNS server to
// use, only the floor under dnsfwd's figures (bench/README.md, "Where the rest of the peak is").
// FLOOR_LISTEN: the address to answer on (port 53); FLOOR_UP: HOST:PORT of the upstream.
// In memory.sh, as an entry point: `floor | env FLOOR_LISTEN=127.0.8.21 FLOOR_UP=127.0.8.20:5300
// $NODE --max-semi-space-size=1 --heap-growing-percent=10 --single-threaded bench/floor-forwarder.mjs`
// (the arguments memory.sh appends are ignored).
import dgram from 'node:dgram';

const [host, port] = (process.env.FLOOR_UP ?? '').split(':');
if (!host || !port || !process.env.FLOOR_LISTEN) {
  console.error('floor-forwarder: set FLOOR_LISTEN=ADDRESS and FLOOR_UP=HOST:PORT');
  process.exit(2);
}
const server = dgram.createSocket('udp4');
const pending = new Map();
const upstreams = [];
let next = 1;
for (let i = 0; i < 8; i++) {
  const s = dgram.createSocket('udp4');
  s.connect(Number(port), host);
  s.on('message', (msg) => {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const client = pending.get(id);
    if (!client) return;
    pending.delete(id);
    msg.writeUInt16BE(client.id, 0);
    server.send(msg, client.port, client.address);
  });
  upstreams.push(s);
}
server.on('message', (msg, rinfo) => {
  if (msg.length < 12) return;
  next = (next + 1) & 0xffff || 1;
  pending.set(next, { id: msg.readUInt16BE(0), port: rinfo.port, address: rinfo.address });
  msg.writeUInt16BE(next, 0);
  upstreams[next & 7].send(msg);
});
server.bind(53, process.env.FLOOR_LISTEN);
