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

// A file of nothing but `x {` nested a million deep: read without running out of stack.
t.test('blocks nested past any real lease file end the reading, without a stack overflow', async (t) => {
  const deep = parseStatements(tokenize('lease { a; }\n' + 'x { '.repeat(200_000)));
  t.equal(deep.length, 2);
  t.equal(deep[0]!.incomplete, false, 'the lease before it is whole');
  t.equal(deep[1]!.incomplete, true, 'the deep one is cut off');
  const eight = parseStatements(tokenize('a { b { c { d { e { f { g { h { i; } } } } } } } }'));
  t.equal(eight[0]!.incomplete, false, 'eight levels are read');
  const nine = parseStatements(tokenize('a { b { c { d { e { f { g { h { i { j; } } } } } } } } }'));
  t.equal(nine[0]!.incomplete, true, 'nine are not');
});

t.test('a long string is read whole, escapes and newlines in it counted', async (t) => {
  const long = 'x'.repeat(1_000_000);
  const tokens = tokenize(`"${long}\\101\n${long}" y`);
  t.equal(tokens[0]!.text, `${long}A\n${long}`);
  t.equal(tokens[1]!.line, 2, 'the newline inside moved the count on');
});
