// The dhclient lease-file syntax on its own: strings and their escapes, line numbers, a stray `}`.
// (What the statements mean is dhclient.test.ts's.)
import t from 'tap';
import { parseStatements, tokenize } from '../../../src/sources/parsers/dhclient-syntax.js';

const texts = (source: string) => tokenize(source).map((tok) => tok.text);

t.test('strings: escapes, and a backslash that ends the file is kept as it is', async (t) => {
  t.same(texts('"a\\"b" "\\101\\102" "c\\\\"'), ['a"b', 'AB', 'c\\']);
  t.same(texts('x "cut\\'), ['x', 'cut\\'], 'an unterminated string ends with the file');
});

// Warnings name lines: a string that spans lines moves the count on for what follows it.
t.test('a string over two lines counts its newline', async (t) => {
  const tokens = tokenize('a "one\ntwo";\nb;');
  t.same(tokens.map((tok) => [tok.text, tok.line]), [['a', 1], ['one\ntwo', 1], [';', 2], ['b', 3], [';', 3]]);
});

// Only an unquoted `}` closes a block or is skipped as stray; a quoted one is a word.
t.test('a stray } at top level is skipped; a quoted "}" is a word', async (t) => {
  const statements = parseStatements(tokenize('} "}" x;'));
  t.same(statements.map((s) => s.words.map((w) => w.text)), [['}', 'x']]);
});
