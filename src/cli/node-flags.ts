// The Node options the daemon runs with (node-settings.ts says why each one), in a module of
// ES5 syntax of its own: main.ts, which any Node that loads an ES module must be able to parse,
// prints them for bin/dnsfwd without loading the program.

/**
 * V8 heap the daemon needs, MiB: its code, sockets, in-flight queries, TCP connections (capped),
 * parsed lease files; not the cache's entries, which are outside the heap. Measured at under 20
 * MiB; the rest is headroom.
 */
export var HEAP_MIB = 128;

export var NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--heap-growing-percent=10',
  '--optimize-for-size',
  '--single-threaded',
  '--expose-gc',
  '--max-old-space-size=' + HEAP_MIB,
];
