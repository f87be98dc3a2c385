// Clients and client policies for tests of what sits behind the admission step (the responder,
// listeners): a loopback client, and the default policy (loopback and connected subnets allowed).
import { defaultConfig } from '../../src/config/schema.js';
import { ClientPolicy, type Client } from '../../src/server/admission.js';
import type { HostInterfaces } from '../../src/server/access.js';
import { quietLogger } from './logger.js';

/** A client on loopback: always answered by the default policy, never rate limited. */
export const LOOPBACK_CLIENT: Client = { address: '127.0.0.1', port: 40000 };

/** The policy of the default config on a host with only `host`'s interfaces (none by default). */
export function defaultPolicy(host: HostInterfaces = {}): ClientPolicy {
  return new ClientPolicy(defaultConfig(), host, quietLogger());
}
