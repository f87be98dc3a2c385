#!/usr/bin/env node
// The `dnsfwd` executable. It holds early signals first, then loads the command line and the
// daemon (a few hundred milliseconds), so a SIGHUP or SIGTERM during start-up is acted on, not fatal.
import { holdEarlySignals } from './early-signals.js';

holdEarlySignals();
await import('./command.js');
