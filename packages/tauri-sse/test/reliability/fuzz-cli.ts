/**
 * A long differential fuzzing run: `node --import tsx test/reliability/fuzz-cli.ts [iterations] [first seed]`
 * (what scripts/fuzz.sh runs). Prints the figures and every shrunk reproducer as JSON; exits 1 on a disagreement.
 */
import { fuzz } from './fuzz.js';
import { findRustParser } from './rust.js';

const iterations = Number(process.argv[2] ?? 10000);
const first = Number(process.argv[3] ?? 1);
const rust = findRustParser();
if ('missing' in rust) console.error(`rust check skipped: ${rust.missing}`);
const BATCH = 2000; // seeds per Rust process, so memory stays flat on long runs
const started = performance.now();
let failed = false;
for (let from = first; from < first + iterations; from += BATCH) {
  const count = Math.min(BATCH, first + iterations - from);
  const report = fuzz({ seeds: Array.from({ length: count }, (_, i) => from + i), rust: 'path' in rust ? rust.path : undefined });
  const { comparisons, disagreements } = report;
  console.log(JSON.stringify({ seeds: `${from}..${from + count - 1}`, comparisons, disagreements, ms: Math.round(performance.now() - started) }));
  for (const reproducer of report.reproducers) console.log(JSON.stringify(reproducer));
  failed ||= report.reproducers.length > 0;
}
process.exit(failed ? 1 : 0);
