// The heap pacer: a full garbage collection whenever V8's heap has grown by PACER_STEP since the
// last one, looked at every TICK_MS. V8 on its own collects the old generation only once it has
// grown by at least 2 MB past what was live (--optimize-for-size), with the young generation full
// on top; under a stream of cache misses that came every 1.1-1.3 s, and in between the promoted
// garbage of the queries in flight piled up on V8's heap and in the C heap (the backing stores of
// received datagrams and Buffer-pool slabs, which only a full collection frees).
// bench/miss-profile.sh, runs alternated (2026-12-02): peak RssAnon 25.9-27.8 MiB and VmHWM
// 67.0-68.9 MiB without it; 22.0-22.2 / 63.3-63.5 with a 3 MiB step; 20.2-21.0 / 61.3-62.4 with
// 2 MiB, a collection about every 0.5 s taking 15 ms on average (32 at most: the event loop waits
// meanwhile). It costs CPU beyond the collections themselves: each one lets V8 drop optimized
// code that embeds objects that died (Node's dgram send among it), which is compiled again; CPU
// per miss rose by 10-20% in those runs. While the daemon is idle or answers from the cache the
// heap hardly grows and the pacer does nothing. It needs node's --expose-gc (the daemon's settings,
// node-settings.ts); without it the daemon runs unpaced.
import { getHeapStatistics } from 'node:v8';

const MiB = 1 << 20;
/** Heap growth (bytes of V8's used heap) that starts a collection: server.heap_pacing_mib's default. */
export const PACER_STEP = 2 * MiB;
const TICK_MS = 100;

export interface HeapGauge {
  /** V8's used heap, bytes. */
  used(): number;
  /** A full garbage collection, at once. */
  collect(): void;
}

export class HeapPacer {
  /** Collections the pacer started. */
  collections = 0;
  /** The used heap after the last collection (the pacer's or V8's own). */
  private base: number;

  constructor(
    private readonly gauge: HeapGauge,
    /** The step in bytes, read at each look (a reload may change it); 0: no collections. */
    private readonly step: () => number = () => PACER_STEP,
  ) {
    this.base = gauge.used();
  }

  /** One look: a collection when the heap has grown by more than the step. Whether it collected. */
  tick(): boolean {
    const used = this.gauge.used();
    if (used < this.base) this.base = used; // V8 collected on its own
    const step = this.step();
    if (step === 0 || used - this.base <= step) return false;
    this.gauge.collect();
    this.collections++;
    this.base = this.gauge.used();
    return true;
  }
}

/**
 * Paces this process's heap from now on with the step `mib()` gives (MiB, 0: off), when node
 * exposes gc (--expose-gc); null when it does not.
 */
export function startHeapPacer(mib: () => number): HeapPacer | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return null;
  const pacer = new HeapPacer({ used: () => getHeapStatistics().used_heap_size, collect: () => gc() }, () => mib() * MiB);
  setInterval(() => pacer.tick(), TICK_MS).unref();
  return pacer;
}
