// The `metrics:` section of the config file: where the Prometheus endpoint listens (off unless a
// listen address is given), its validation, and the line `dnsfwd check` prints for it.
import { formatEndpoint, parseEndpoint, type Endpoint, type ParseResult } from '../address.js';
import { type Check, type Checker, mapping, ok, parsed, pick } from '../checker.js';

export interface MetricsConfig {
  /** The HTTP endpoint serving GET /metrics; null: no endpoint. */
  readonly listen: Endpoint | null;
}

/** The section's defaults, spelled as the YAML file spells them: off. */
export const METRICS_DEFAULTS = { listen: '' };

/** CoreDNS's prometheus plugin's port, taken when an address is given without one. */
export const METRICS_PORT = 9153;

export function metricsSection(c: Checker, raw: unknown): Check<MetricsConfig> {
  const m = mapping(c, raw, ['metrics'], Object.keys(METRICS_DEFAULTS));
  if (!m.ok) return m;
  const listen = parsed(c, pick(m.value, 'listen', METRICS_DEFAULTS.listen), ['metrics', 'listen'], parseMetricsListen);
  return listen.ok ? ok({ listen: listen.value }) : listen;
}

/** `ADDR[:PORT]` (port 9153 when left out), or '' for no endpoint. */
export function parseMetricsListen(text: string): ParseResult<Endpoint | null> {
  return text === '' ? { ok: true, value: null } : parseEndpoint(text, METRICS_PORT);
}

/** The `metrics:` line of `dnsfwd check`. */
export function describeMetrics(m: MetricsConfig): string {
  return `metrics:   ${m.listen ? `http://${formatEndpoint(m.listen)}/metrics` : 'off'}`;
}
