// Preloaded by miss-profile.sh (node --import) into the dnsfwd it measures, with MISS_ALLOC_FILE
// set: counts the bytes the process allocates on V8's heap, from v8.GCProfiler's heap statistics
// around each collection (allocated between two collections = used before the second − used after
// the first), and the time spent collecting. Every 100 ms it writes one line to MISS_ALLOC_FILE,
// replacing the last: "ALLOCATED_BYTES GC_MICROSECONDS SCAVENGES MARK_SWEEPS PROMOTED_BYTES".
// PROMOTED_BYTES is what scavenges moved into old space (its used size after minus before).
import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';

const file = process.env.MISS_ALLOC_FILE;
if (file) {
  const oldSpace = (stats) => stats.heapSpaceStatistics.find((s) => s.spaceName === 'old_space')?.spaceUsedSize ?? 0;
  let lastUsed = v8.getHeapStatistics().used_heap_size;
  let allocated = 0;
  let gcUs = 0;
  let scavenges = 0;
  let markSweeps = 0;
  let promoted = 0;
  let profiler = new v8.GCProfiler();
  profiler.start();
  const tick = () => {
    const { statistics } = profiler.stop();
    profiler = new v8.GCProfiler();
    profiler.start();
    for (const gc of statistics) {
      allocated += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - lastUsed);
      lastUsed = gc.afterGC.heapStatistics.usedHeapSize;
      gcUs += gc.cost;
      if (gc.gcType === 'Scavenge' || gc.gcType === 'MinorMarkCompact') {
        scavenges++;
        promoted += Math.max(0, oldSpace(gc.afterGC) - oldSpace(gc.beforeGC));
      } else markSweeps++;
    }
    const used = v8.getHeapStatistics().used_heap_size;
    const now = allocated + Math.max(0, used - lastUsed);
    writeFileSync(file, `${now} ${Math.round(gcUs)} ${scavenges} ${markSweeps} ${promoted}\n`);
  };
  setInterval(tick, 100).unref();
}
