/**
 * Differential fuzzing of the SSE parser. For each seed: a random stream (grammar.ts), cut at
 * random chunk boundaries three times, and checked three ways:
 *  - `split`: our parser fed the chunks agrees with itself fed the whole stream at once;
 *  - `reference`: it agrees with `eventsource-parser` 4.1.3, modulo its known deviations (parsers.ts);
 *  - `rust`: it agrees with the Rust parser (rust.ts), when its example binary is built.
 * A disagreement is shrunk to a minimal reproducer.
 */
import { chunksOf, concat, cutRandomly, generateStream, type Case, type Segment } from './grammar.js';
import { runOurs, runReference, type Log } from './parsers.js';
import { Prng } from './prng.js';
import { runRust, type RustCase } from './rust.js';
import { shrink } from './shrink.js';

export type Check = 'split' | 'reference' | 'rust';

/** A shrunk disagreement, ready to print as JSON. */
export interface Reproducer {
  check: Check;
  seed: number;
  maxEventSize?: number | undefined;
  /** Chunks in feeding order: text when valid UTF-8, else `{ hex }`. */
  chunks: (string | { hex: string })[];
  ours: Log;
  other: Log;
}

export interface FuzzReport {
  seeds: number;
  comparisons: Record<Check, number>;
  disagreements: Record<Check, number>;
  /** The first disagreement of each check, shrunk. */
  reproducers: Reproducer[];
}

export interface FuzzOptions {
  seeds: Iterable<number>;
  /** Path of the Rust `parse_stdin` binary; without it the `rust` check is skipped. */
  rust?: string | undefined;
  /** Cuttings per stream. */
  splits?: number;
}

const CUTS_PER_STREAM = 3;
/** A small `maxEventSize` for some streams, so the limit is fuzzed too. */
const SMALL_LIMIT: [number, number] = [4, 300];

/**
 * Logs compared as JSON, with one representation difference folded: a `retry:` beyond 2^53 ms
 * is a JS double in TS and a saturated u64 in Rust; both mean "longer than any timer".
 */
const same = (a: Log, b: Log) => canonical(a) === canonical(b);
const canonical = (log: Log) =>
  JSON.stringify(log, (_, v: unknown) => (typeof v === 'number' && v > Number.MAX_SAFE_INTEGER ? 'beyond 2^53' : v));

/** How each check recomputes both sides for a candidate input (the shrinker calls it repeatedly). */
function sides(check: Check, rust: string | undefined, limit: number | undefined) {
  return (segments: Segment[]): [Log, Log] => {
    const chunks = chunksOf(segments);
    const ours = runOurs(chunks, limit);
    if (check === 'split') return [ours, runOurs([concat(chunks)], limit)];
    if (check === 'reference') return [ours, runReference(chunks)];
    return [ours, runRust(rust as string, [{ chunks, maxEventSize: limit }])[0] as Log];
  };
}

export function fuzz(options: FuzzOptions): FuzzReport {
  const report: FuzzReport = {
    seeds: 0,
    comparisons: { split: 0, reference: 0, rust: 0 },
    disagreements: { split: 0, reference: 0, rust: 0 },
    reproducers: [],
  };
  const failed = (check: Check, seed: number, input: Case) => {
    report.disagreements[check]++;
    if (report.reproducers.some((r) => r.check === check)) return;
    const run = sides(check, options.rust, input.maxEventSize);
    const fails = (s: Segment[]) => {
      const [a, b] = run(s);
      return !same(a, b);
    };
    const minimal = shrink(input.segments, fails);
    const [ours, other] = run(minimal);
    report.reproducers.push({ check, seed, maxEventSize: input.maxEventSize, chunks: chunksOf(minimal).map(show), ours, other });
  };

  const rustQueue: { seed: number; input: Case; rustCase: RustCase }[] = [];
  for (const seed of options.seeds) {
    report.seeds++;
    const rng = new Prng(seed);
    const pieces = generateStream(rng);
    const limit = rng.chance(0.3) ? rng.int(...SMALL_LIMIT) : undefined;
    const whole = runOurs([concat(pieces)], limit);
    // Rust bounds UTF-8 bytes, TS UTF-16 code units (docs/architecture.md): equal on ASCII only.
    const rustLimit = limit !== undefined && pieces.every(isAscii) ? limit : undefined;
    for (let k = 0; k < (options.splits ?? CUTS_PER_STREAM); k++) {
      const segments = cutRandomly(rng, pieces);
      const chunks = chunksOf(segments);
      const ours = runOurs(chunks, limit);
      report.comparisons.split++;
      if (!same(ours, whole)) failed('split', seed, { segments, maxEventSize: limit });
      if (limit === undefined) {
        report.comparisons.reference++;
        if (!same(ours, runReference(chunks))) failed('reference', seed, { segments });
      }
      if (options.rust !== undefined) rustQueue.push({ seed, input: { segments, maxEventSize: rustLimit }, rustCase: { chunks, maxEventSize: rustLimit } });
    }
  }
  if (options.rust !== undefined && rustQueue.length > 0) {
    const logs = runRust(options.rust, rustQueue.map((q) => q.rustCase));
    rustQueue.forEach(({ seed, input, rustCase }, i) => {
      report.comparisons.rust++;
      if (!same(runOurs(rustCase.chunks, rustCase.maxEventSize), logs[i] as Log)) failed('rust', seed, input);
    });
  }
  return report;
}

function isAscii(bytes: Uint8Array): boolean {
  return bytes.every((b) => b < 0x80);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function show(chunk: Uint8Array): string | { hex: string } {
  try {
    return strictUtf8.decode(chunk);
  } catch {
    return { hex: Buffer.from(chunk).toString('hex') };
  }
}
