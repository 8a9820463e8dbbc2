/** Memory measurements for the hostile-input tests: forced GC, retained bytes, sampled peaks. */
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** V8's gc(), obtained without a command-line flag so `npm test` needs none. */
const gc = runInNewContext('gc') as () => void;

/**
 * JS heap plus memory outside it held by JS objects (Buffers, stream chunks), after a full GC.
 * V8 frees ArrayBuffer backing stores on a background sweeper, so `external` only drops some time
 * after the GC: measured, up to 10 MiB of freed network chunks still counted right after `gc()`.
 */
async function settledUse(): Promise<number> {
  gc();
  await sleep(100);
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Bytes still reachable compared with when it was created. */
export async function retention(): Promise<() => Promise<number>> {
  const base = await settledUse();
  return async () => (await settledUse()) - base;
}

/** Samples the JS heap and RSS every few ms until stopped; reports the peaks above the start. */
export async function peaks(): Promise<() => { heap: number; rss: number }> {
  await settledUse();
  const base = { heap: process.memoryUsage().heapUsed, rss: process.memoryUsage.rss() };
  const peak = { ...base };
  const sample = () => {
    peak.heap = Math.max(peak.heap, process.memoryUsage().heapUsed);
    peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, 2);
  return () => {
    sample();
    clearInterval(timer);
    return { heap: peak.heap - base.heap, rss: peak.rss - base.rss };
  };
}

export const MiB = 1024 * 1024;
export const mib = (bytes: number) => Math.round((bytes / MiB) * 100) / 100;
