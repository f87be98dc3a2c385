#!/usr/bin/env node
// Checks that every guard in src/ has a test that fails without it. For each `if (…)` and
// `while (…)` of the compiled source (build/src, from `npm run build:test`), one at a time: the
// condition made false (the guard skipped), and each top-level `&&`/`||` operand dropped. The unit
// tests that import the file (or sit in its folder) then run, file by file, with plain node; a
// mutant they all pass is printed as a survivor. The source is restored after every mutant.
//
//   npm run build:test && node scripts/guard-sweep.mjs [src/server/udp.ts ...]
//
// A survivor is a guard no test needs: give it a test that fails without it, or remove it. A
// condition marked as a fast path (a comment with "fast path" in the lines just above it) is never
// skipped whole, only has its operands dropped.
// Exit status 1 when there are survivors.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = join(ROOT, 'build');
/** The folders and files `npm run test:unit` runs: no root, no network namespaces. */
const UNIT = ['cache', 'cli', 'config', 'control', 'pipeline', 'route', 'server', 'sources', 'upstream', 'wire', 'metrics', 'settle.test.js', 'log-throttle.test.js', 'log.test.js', 'log-text.test.js', 'address.test.js'];
const TIMEOUT_MS = 60_000;

let survivors = 0;
let total = 0;
let fastPaths = 0;

const walk = (p) => (statSync(p).isDirectory() ? readdirSync(p).flatMap((f) => walk(join(p, f))) : [p]);

if (!existsSync(join(BUILD, 'src'))) {
  console.error('build/ is missing: run `npm run build:test` first');
  process.exit(2);
}
const unitTests = UNIT.map((u) => join(BUILD, 'test', u)).filter(existsSync).flatMap(walk).filter((f) => f.endsWith('.test.js'));
const wanted = process.argv.slice(2);
const sources = (wanted.length ? wanted.map((f) => resolve(f)) : walk(join(ROOT, 'src')).filter((f) => f.endsWith('.ts')))
  .map((f) => join(BUILD, relative(ROOT, f)).replace(/\.ts$/, '.js'));

/** The relative modules `file` imports (compiled JS: `from './x.js'`, `import('./x.js')`). */
function importsOf(file) {
  const out = [];
  for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*'(\.[^']+\.js)'/g)) out.push(resolve(dirname(file), m[1]));
  return out;
}

/**
 * The unit tests that load `compiled`, directly or through other modules: first those in the
 * folder mirroring its own and those importing it by name (the likeliest to fail), then the rest.
 */
function testsFor(compiled) {
  const reaches = new Map();
  const loads = (file, seen = new Set()) => {
    if (reaches.has(file)) return reaches.get(file);
    if (seen.has(file)) return false;
    seen.add(file);
    const r = file === compiled || importsOf(file).some((f) => existsSync(f) && loads(f, seen));
    reaches.set(file, r);
    return r;
  };
  const folder = join(BUILD, 'test', dirname(relative(join(BUILD, 'src'), compiled)));
  const near = (t) => t.startsWith(folder + '/') || importsOf(t).includes(compiled);
  const all = unitTests.filter((t) => loads(t));
  return [...all.filter(near), ...all.filter((t) => !near(t))];
}

/** The index just past the bracket that closes the one at `open`; strings and regexes are skipped roughly. */
function closing(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '/' && /[(,=!&|?:]\s*$/.test(text.slice(Math.max(0, i - 3), i))) {
      for (i++; i < text.length && text[i] !== '/'; i++) if (text[i] === '\\') i++;
    } else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c) && --depth === 0) return i + 1;
  }
  return -1;
}

/** The top-level operands of a condition split on && and ||: [text, operator before it]. */
function operands(cond) {
  const out = [];
  let depth = 0;
  let start = 0;
  let op = '';
  for (let i = 0; i < cond.length; i++) {
    const c = cond[i];
    if (c === "'" || c === '"' || c === '`') {
      for (i++; i < cond.length && cond[i] !== c; i++) if (cond[i] === '\\') i++;
    } else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (depth === 0 && (cond.startsWith('&&', i) || cond.startsWith('||', i))) {
      out.push([cond.slice(start, i).trim(), op]);
      op = cond.slice(i, i + 2);
      start = i + 2;
      i++;
    }
  }
  out.push([cond.slice(start).trim(), op]);
  return out;
}

/** Every mutant of `text`: [line number, description, mutated text]. */
function mutants(text) {
  const out = [];
  const lines = text.split('\n');
  for (const m of text.matchAll(/\b(if|while) \(/g)) {
    const lineStart = text.lastIndexOf('\n', m.index) + 1;
    if (/\/\/|\/\*|^\s*\*/.test(text.slice(lineStart, m.index))) continue; // in a comment
    const open = m.index + m[0].length - 1;
    const end = closing(text, open);
    if (end < 0) continue;
    const cond = text.slice(open + 1, end - 1);
    const line = text.slice(0, m.index).split('\n').length;
    // A fast path (a comment saying so just above) gives what the general code after it
    // would: no test can tell it is skipped, by design. Its operands are still dropped, one by
    // one: a fast path taken when it should not be is a bug a test must catch.
    let above = line - 1; // lines[above .. line - 2]: the comment lines right above the `if`
    while (above > 0 && /^\s*\/\//.test(lines[above - 1])) above--;
    const fastPath = lines.slice(above, line - 1).some((l) => /fast path/i.test(l));
    const put = (c) => text.slice(0, open + 1) + c + text.slice(end - 1);
    if (fastPath) fastPaths++;
    else out.push([line, `${m[1]} (${cond}) never true`, put(`false && (${cond})`)]);
    const ops = operands(cond);
    if (ops.length < 2) continue;
    ops.forEach(([operand], i) => {
      const rest = ops.filter((_, j) => j !== i).map(([o, op], j) => (j === 0 ? o : `${op} ${o}`)).join(' ');
      out.push([line, `${m[1]} (${cond}) without ${operand}`, put(rest)]);
    });
  }
  return out;
}

function passes(tests) {
  for (const t of tests) {
    const r = spawnSync(process.execPath, [t], { cwd: ROOT, timeout: TIMEOUT_MS, killSignal: 'SIGKILL', stdio: 'ignore' });
    if (r.status !== 0) return false;
  }
  return true;
}

for (const compiled of sources) {
  const original = readFileSync(compiled, 'utf8');
  const tests = testsFor(compiled);
  const name = relative(BUILD, compiled);
  for (const [line, what, text] of mutants(original)) {
    writeFileSync(compiled, text);
    try {
      if (spawnSync(process.execPath, ['--check', compiled]).status !== 0) continue;
      total++;
      if (tests.length === 0 || passes(tests)) {
        survivors++;
        console.log(`SURVIVED ${name}:${line}: ${what}`);
      }
    } finally {
      writeFileSync(compiled, original);
    }
  }
}
console.log(`${total} mutants, ${survivors} survived; ${fastPaths} fast paths kept whole`);
process.exit(survivors ? 1 : 0);
