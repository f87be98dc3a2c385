// log_format: text. One pino JSON line becomes one line a person reads in a terminal:
// `TIME LEVEL component: message key=value ...`, errors and objects compact on the same line.

/** The label of each pino level, as the text format shows it. */
const LABELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Fields the text format shows in its own places (or, for `name`, not at all: it is always dnsfwd). */
const PLACED = new Set(['time', 'level', 'msg', 'component', 'name']);

/**
 * One JSON log line (with or without its newline) in the text format, with a newline; a line that
 * is not a JSON object is kept as it is.
 */
export function textLine(json: string): string {
  let record: unknown;
  try {
    record = JSON.parse(json);
  } catch {
    return json.endsWith('\n') ? json : json + '\n';
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return json.trimEnd() + '\n';
  const r = record as Record<string, unknown>;
  const level = typeof r.level === 'number' ? (LABELS[r.level] ?? `L${r.level}`) : 'LOG';
  let out = `${typeof r.time === 'string' ? r.time : String(r.time ?? '-')} ${level.padEnd(5)} `;
  if (typeof r.component === 'string') out += `${r.component}: `;
  out += typeof r.msg === 'string' ? oneLine(r.msg) : '-';
  for (const [key, value] of Object.entries(r)) {
    if (!PLACED.has(key)) out += ` ${key}=${textValue(value)}`;
  }
  return out + '\n';
}

/** A value as `key=` shows it: plain when it has no space, quote or `=`; else quoted as JSON. */
function textValue(value: unknown): string {
  if (typeof value === 'string') return quoteIfNeeded(value);
  if (isSerializedError(value)) return quoteIfNeeded(value.type ? `${value.type}: ${value.message}` : value.message);
  return JSON.stringify(value); // numbers, booleans and null as they are; lists and objects compact
}

function quoteIfNeeded(text: string): string {
  return text === '' || /[\s"'=\\\p{Cc}]/u.test(text) ? JSON.stringify(text) : text;
}

/** A message on one line: a line break would start what reads as another record. */
function oneLine(text: string): string {
  return /[\r\n]/.test(text) ? JSON.stringify(text) : text;
}

/** pino's error serializer gives { type, message, stack, ... }: the text format shows type and message. */
function isSerializedError(value: unknown): value is { type?: string; message: string } {
  const v = value as Record<string, unknown> | null;
  return typeof v?.message === 'string' && typeof v.stack === 'string' && (v.type === undefined || typeof v.type === 'string');
}
