// The `listen:` list and the `server:` section of the config file: where dnsfwd answers, and the
// limits of its UDP answers (RFC 1035 §4.2.1, RFC 6891 §6.2.5) and client TCP connections (RFC 7766).
import { formatEndpoint, type Endpoint } from '../address.js';
import { type Check, type Checker, duplicateAt, endpoints, type Field, numbers, ok } from '../checker.js';
import type { UpstreamConfig } from '../upstream/config.js';

export interface ServerConfig {
  /** Largest UDP answer sent to a client, whatever its EDNS size says (RFC 6891 §6.2.5). */
  readonly udpMaxSize: number;
  readonly tcpIdleTimeoutMs: number;
  readonly tcpMaxConnections: number;
  /** Processes answering queries (Node's cluster module shares the sockets); 1: no cluster. */
  readonly workers: number;
}

/** What the listeners are set up from: where to listen, the limits, and each query's deadline. */
export interface ListenerConfig {
  readonly listen: readonly Endpoint[];
  readonly server: ServerConfig;
  readonly upstream: Pick<UpstreamConfig, 'deadlineMs'>;
}

/** The defaults, spelled as the YAML file spells them. */
export const LISTEN_DEFAULTS = ['127.0.0.1:53', '[::1]:53'];
export const SERVER_DEFAULTS = { udp_max_size: 4096, tcp_idle_timeout_ms: 10000, tcp_max_connections: 256, workers: 1 };

const FIELDS = {
  udpMaxSize: ['udp_max_size', 512, 65535], // RFC 1035 §4.2.1: 512 is what every client accepts
  tcpIdleTimeoutMs: ['tcp_idle_timeout_ms', 100, 600000],
  tcpMaxConnections: ['tcp_max_connections', 1, 65535],
  workers: ['workers', 1, 64],
} as const satisfies Record<keyof ServerConfig, Field>;

export function listenList(c: Checker, raw: unknown): Check<Endpoint[]> {
  const listen = endpoints(c, raw, ['listen'], 'needs at least one address');
  if (!listen.ok) return listen;
  const twice = duplicateAt(listen.value);
  if (twice >= 0) return c.fail(['listen', twice], `"${formatEndpoint(listen.value[twice]!)}" is listed twice`);
  return ok(listen.value);
}

export function serverSection(c: Checker, raw: unknown): Check<ServerConfig> {
  return numbers(c, raw, 'server', FIELDS, SERVER_DEFAULTS);
}

export function describeServer(s: ServerConfig): string {
  return (
    `server:    UDP max size ${s.udpMaxSize}, TCP idle timeout ${s.tcpIdleTimeoutMs} ms, ` +
    `TCP max connections ${s.tcpMaxConnections}, workers ${s.workers}`
  );
}
