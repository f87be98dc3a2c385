// SourceReport: a problem is reported once, after a second read confirms it; recovery once;
// skipped values once per distinct set.
import t from 'tap';
import { SourceReport } from '../../src/sources/source-report.js';
import { captureLog, LEVEL } from '../helpers/logger.js';

function report(optional = false) {
  const log = captureLog();
  let readAgain = 0;
  const r = new SourceReport('dhclient:/x/*.leases', log.logger, optional, () => readAgain++);
  return { r, log, readAgain: () => readAgain };
}

// A first failure may be a writer rewriting in place: it asks for another read and says nothing.
t.test('a first failure asks for another read; the second one is reported', async (t) => {
  const { r, log, readAgain } = report();
  r.problem('/x/a.leases', 'empty file');
  t.same(log.lines, [], 'not reported yet');
  t.equal(readAgain(), 1, 'another read asked for');
  r.problem('/x/a.leases', 'empty file');
  t.match(log.warnings(), [{ file: '/x/a.leases', reason: 'empty file' }]);
});

// The same problem, read again and again, is one warning (not one every other read).
t.test('a problem already reported is not reported again, nor re-confirmed', async (t) => {
  const { r, log, readAgain } = report();
  for (let i = 0; i < 5; i++) r.problem('/x/a.leases', 'empty file');
  t.equal(log.warnings().length, 1);
  t.equal(readAgain(), 1, 'only the first failure asked for another read');
});

// A good read in between means the next failure is a first failure again.
t.test('a good read clears a suspected failure', async (t) => {
  const { r, log, readAgain } = report();
  r.problem('/x/a.leases', 'empty file');
  r.fine('/x/a.leases');
  r.problem('/x/a.leases', 'empty file');
  t.same(log.lines, [], 'two failures with a good read between them: nothing confirmed');
  t.equal(readAgain(), 2);
  t.same(log.lines.filter((l) => l.level === LEVEL.info), [], 'and no recovery line: nothing was reported');
});

// Skipped values: one warning per distinct set, none for an empty set.
t.test('skipped values are warned about once per distinct set', async (t) => {
  const { r, log } = report();
  r.skipped('/x/a.leases', []);
  r.skipped('/x/a.leases', ['line 4: nameserver "x" is not an IP address']);
  r.skipped('/x/a.leases', ['line 4: nameserver "x" is not an IP address']);
  t.match(log.warnings(), [{ file: '/x/a.leases', reason: 'line 4: nameserver "x" is not an IP address' }]);
  r.skipped('/x/a.leases', ['line 5: nameserver "y" is not an IP address']);
  t.equal(log.warnings().length, 2, 'a different set is warned about');
});
