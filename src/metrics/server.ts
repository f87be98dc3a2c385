// The Prometheus endpoint: a small HTTP server (node:http) answering GET /metrics with the text a
// scrape function gives, 404 for any other path, 405 for any other method. Slow or odd clients are
// cut off by the header and request timeouts; a failing scrape is a 500 and a log line, never a crash.
// A new listen address (a reload) is bound before the old one is closed: a bind failure keeps it.
// node:http is loaded only once an address is configured: without metrics, a daemon is 0.6 MiB smaller.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { formatEndpoint, sameEndpoint, type Endpoint } from '../address.js';
import type { Logger } from '../log.js';
import { bindError } from '../server/bind.js';
import { CONTENT_TYPE } from './exposition.js';

/** Scrapers send a few headers; a client that takes longer than this is gone. */
const HEADERS_TIMEOUT_MS = 5000;
const REQUEST_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5000;
/** How often those timeouts are checked (Node's default, 30 s, would let a slow client hold a connection that long). */
const TIMEOUT_CHECK_MS = 1000;
/** Connections at once: a scraper or two, and room for a curl. */
const MAX_CONNECTIONS = 32;

/** The exposition text now (a cluster's primary asks its workers, so it may take a moment). */
export type Scrape = () => string | Promise<string>;

/** What a prepared change does: keep the new address (closing the old) or drop it. */
export interface PendingListen {
  commit(): void;
  cancel(): void;
}

export class MetricsServer {
  private server: Server | null = null;
  private endpoint: Endpoint | null = null;

  constructor(
    private readonly scrape: Scrape,
    private readonly log: Logger,
  ) {}

  /** Where it listens now; null when off. */
  get listening(): Endpoint | null {
    return this.endpoint;
  }

  /** Listens on `endpoint` (null: not at all); throws a DnsfwdError when it cannot be bound. */
  async apply(endpoint: Endpoint | null): Promise<void> {
    (await this.prepare(endpoint)).commit();
  }

  /**
   * Binds `endpoint` when it is not the address in force (throws a DnsfwdError when it cannot);
   * nothing changes until commit(), which closes the old server. cancel() closes the new one.
   */
  async prepare(endpoint: Endpoint | null): Promise<PendingListen> {
    const same = endpoint === null ? this.endpoint === null : this.endpoint !== null && sameEndpoint(endpoint, this.endpoint);
    if (same) return { commit: () => {}, cancel: () => {} };
    const next = endpoint ? await this.listen(endpoint) : null;
    return {
      commit: () => {
        this.server?.close();
        this.server?.closeAllConnections();
        this.server = next;
        this.endpoint = endpoint;
        if (endpoint) this.log.info({ listen: `http://${formatEndpoint(endpoint)}/metrics` }, 'metrics endpoint listening');
      },
      cancel: () => next?.close(),
    };
  }

  /** Stops listening and closes every connection. */
  close(): Promise<void> {
    const s = this.server;
    this.server = null;
    this.endpoint = null;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  private async listen(endpoint: Endpoint): Promise<Server> {
    const { createServer } = await import('node:http');
    const server = createServer(
      {
        headersTimeout: HEADERS_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        connectionsCheckingInterval: TIMEOUT_CHECK_MS,
      },
      (req, res) => this.handle(req, res),
    );
    server.maxConnections = MAX_CONNECTIONS;
    return new Promise((resolve, reject) => {
      const failed = (err: Error) => reject(bindError(err, endpoint, 'metrics HTTP'));
      server.once('error', failed);
      // exclusive: in a cluster worker this would be bound here, not shared through the primary.
      server.listen({ host: endpoint.host, port: endpoint.port, exclusive: true }, () => {
        server.off('error', failed);
        server.on('error', (err) => this.log.warn({ err }, 'metrics endpoint error'));
        resolve(server);
      });
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/metrics') return plain(res, 404, 'not found: the metrics are at /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'method not allowed: use GET\n');
    }
    Promise.resolve()
      .then(this.scrape)
      .then(
        (text) => {
          res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
          res.end(text);
        },
        (err: unknown) => {
          this.log.error({ err }, 'metrics scrape failed');
          plain(res, 500, 'scrape failed\n');
        },
      );
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
