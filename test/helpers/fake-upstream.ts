// Fake upstream DNS servers built on dns2 (an independent DNS implementation): UDP and TCP on
// one 127.0.0.x address, answers from a function, counts per transport, and a "silent" mode.
import net from 'node:net';
import dns2 from 'dns2';

const { Packet } = dns2;
export type Dns2Packet = InstanceType<typeof Packet>;
export type Dns2Resource = Dns2Packet['answers'][number];

export type FakeAnswer =
  | {
      answers: Dns2Resource[];
      rcode?: number;
      authorities?: Dns2Resource[];
      delayMs?: number;
      /** The answer goes out once this settles (a test releases it when it is ready). */
      heldUntil?: Promise<unknown>;
    }
  | 'silent';

/** A query name of dnsfwd's loop probes (wire/loop-probe.ts), which every server of a route gets. */
export function isLoopProbe(name: string): boolean {
  return /^dnsfwd-loop-probe-[0-9a-f]{12}(\.|$)/i.test(name);
}

export interface FakeOptions {
  readonly address: string;
  readonly port: number;
  readonly answer: (name: string, type: number, transport: 'udp' | 'tcp') => FakeAnswer;
}

export interface FakeUpstream {
  readonly port: number;
  readonly seen: { name: string; type: number; transport: 'udp' | 'tcp'; id: number }[];
  count(name: string, transport?: 'udp' | 'tcp'): number;
  /** Resolves once a query for `name` has arrived (or at once if one has). */
  queried(name: string): Promise<void>;
  close(): Promise<void>;
}

export function aRecord(name: string, address: string, ttl = 60): Dns2Resource {
  return { name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl, address } as Dns2Resource;
}

export async function startFake(o: FakeOptions): Promise<FakeUpstream> {
  const seen: FakeUpstream['seen'] = [];
  const waiting: { name: string; resolve: () => void }[] = [];
  const server = dns2.createServer({
    udp: true,
    tcp: true,
    handle: (request, send, client) => {
      const q = request.questions[0];
      if (!q) return;
      const transport = client instanceof net.Socket ? 'tcp' : 'udp';
      if (isLoopProbe(q.name)) {
        // dnsfwd's loop probes: answered NXDOMAIN here, not seen by the test's answer function or counts.
        const nx = Packet.createResponseFromRequest(request);
        nx.header.rcode = 3;
        void send(nx);
        return;
      }
      seen.push({ name: q.name, type: q.type, transport, id: request.header.id });
      for (const w of waiting.filter((w) => w.name === q.name.toLowerCase())) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
      const a = o.answer(q.name.toLowerCase(), q.type, transport);
      if (a === 'silent') return;
      const response = Packet.createResponseFromRequest(request);
      response.answers.push(...a.answers);
      response.authorities.push(...(a.authorities ?? []));
      if (a.rcode) response.header.rcode = a.rcode;
      void Promise.resolve(a.heldUntil).then(() => setTimeout(() => void send(response), a.delayMs ?? 0));
    },
  });
  await server.listen({ udp: { port: o.port, address: o.address }, tcp: { port: o.port, address: o.address } });
  return {
    port: o.port,
    seen,
    count: (name, transport) =>
      seen.filter((s) => s.name.toLowerCase() === name.toLowerCase() && (!transport || s.transport === transport)).length,
    queried: (name) =>
      seen.some((s) => s.name.toLowerCase() === name.toLowerCase())
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiting.push({ name: name.toLowerCase(), resolve })),
    close: () => server.close(),
  };
}
