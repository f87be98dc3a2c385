// The ISC dhclient lease-file syntax as a tree of statements (`words… ;` or `words… { … }`),
// forgiving of what real files contain: NUL holes, comments, a block cut off at end of file.

export interface Token {
  readonly text: string;
  readonly quoted: boolean;
  readonly line: number;
}

export interface Statement {
  /** The words before `;` or `{`, commas included as their own unquoted tokens. */
  readonly words: readonly Token[];
  /** The statements inside `{ … }`, if the statement has a block. */
  readonly block?: readonly Statement[];
  /** True when the file ended before this statement's `;` or closing `}`. */
  readonly incomplete: boolean;
  readonly line: number;
}

const PUNCTUATION = new Set(['{', '}', ';', ',']);
/** NUL counts as whitespace: two dhclients appending at their own offsets leave NUL holes. */
const SPACE = /[\s\0]/;
const WORD_END = /[\s\0{};,"#]/;

/** Splits lease-file text into tokens; `#` starts a comment, strings keep C-style escapes. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (SPACE.test(c)) {
      i++;
    } else if (c === '#') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (PUNCTUATION.has(c)) {
      tokens.push({ text: c, quoted: false, line });
      i++;
    } else if (c === '"') {
      const s = readString(text, i + 1);
      tokens.push({ text: s.value, quoted: true, line });
      line += s.newlines;
      i = s.next;
    } else {
      let end = i + 1;
      while (end < text.length && !WORD_END.test(text[end]!)) end++;
      tokens.push({ text: text.slice(i, end), quoted: false, line });
      i = end;
    }
  }
  return tokens;
}

/**
 * Reads a quoted string starting after its `"`; an unterminated one runs to end of file. The text
 * between escapes is taken in slices, so a long string costs its length, not a copy per character.
 */
function readString(text: string, start: number): { value: string; next: number; newlines: number } {
  const parts: string[] = [];
  let newlines = 0;
  let from = start;
  let i = start;
  for (; i < text.length && text[i] !== '"'; i++) {
    if (text[i] === '\n') newlines++;
    if (text[i] !== '\\' || i + 1 >= text.length) continue;
    parts.push(text.slice(from, i));
    const octal = /^[0-7]{3}/.exec(text.slice(i + 1, i + 4));
    const c = octal ? String.fromCharCode(parseInt(octal[0], 8)) : text[i + 1]!;
    if (c === '\n') newlines++;
    parts.push(c);
    i += octal ? 3 : 1;
    from = i + 1;
  }
  parts.push(text.slice(from, i));
  return { value: parts.join(''), next: i + 1, newlines };
}

/** Deeper blocks than any lease file holds (lease6 { ia-na { iaaddr { } } }): the rest is not read. */
const MAX_DEPTH = 8;

/** Builds the statement tree; a stray `}` at top level is skipped. */
export function parseStatements(tokens: readonly Token[]): Statement[] {
  const out: Statement[] = [];
  let i = 0;
  while (i < tokens.length) {
    if (tokens[i]!.text === '}' && !tokens[i]!.quoted) {
      i++;
      continue;
    }
    const r = readStatement(tokens, i, 0);
    out.push(r.statement);
    i = r.next;
  }
  return out;
}

function isPunct(t: Token | undefined, p: string): boolean {
  return t !== undefined && !t.quoted && t.text === p;
}

/** `lease {` or `lease6 {` at `i`: only ever a top-level statement in a lease file. */
function startsLeaseBlock(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i]!;
  return !t.quoted && (t.text === 'lease' || t.text === 'lease6') && isPunct(tokens[i + 1], '{');
}

/**
 * One statement from `start`: words up to `;`, `{ … }` or a `}` that closes the enclosing block.
 * A block nested past MAX_DEPTH ends the reading: it and the rest of the file are incomplete.
 */
function readStatement(tokens: readonly Token[], start: number, depth: number): { statement: Statement; next: number } {
  const words: Token[] = [];
  const line = tokens[start]!.line;
  let i = start;
  while (i < tokens.length && !isPunct(tokens[i], ';') && !isPunct(tokens[i], '{') && !isPunct(tokens[i], '}')) {
    if (i > start && startsLeaseBlock(tokens, i)) break; // cut off mid-statement
    words.push(tokens[i]!);
    i++;
  }
  if (i >= tokens.length || startsLeaseBlock(tokens, i)) return { statement: { words, incomplete: true, line }, next: i };
  if (isPunct(tokens[i], ';')) return { statement: { words, incomplete: false, line }, next: i + 1 };
  if (isPunct(tokens[i], '}')) return { statement: { words, incomplete: false, line }, next: i };
  if (depth >= MAX_DEPTH) return { statement: { words, incomplete: true, line }, next: tokens.length };
  const block: Statement[] = [];
  i++;
  // A `lease {` inside a block means the block was cut off (a rewrite, a NUL hole): end it there.
  while (i < tokens.length && !isPunct(tokens[i], '}') && !startsLeaseBlock(tokens, i)) {
    const r = readStatement(tokens, i, depth + 1);
    block.push(r.statement);
    i = r.next;
  }
  const closed = i < tokens.length && isPunct(tokens[i], '}');
  const incomplete = !closed || block.some((s) => s.incomplete);
  return { statement: { words, block, incomplete, line }, next: closed ? i + 1 : i };
}
