// Counters an operator can ask for (SIGUSR1): how the cache and coalescing are doing.
export class Counters {
  hits = 0;
  misses = 0;
  staleServed = 0;
  prefetches = 0;
  coalesced = 0;
  stored = 0;
}
