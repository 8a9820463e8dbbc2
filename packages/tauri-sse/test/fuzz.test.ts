/**
 * Differential fuzzing of the parser (test/reliability/fuzz.ts, docs/reliability.md): a fixed
 * seed set here; `scripts/fuzz.sh [iterations]` runs a long one.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { fuzz, type Check, type FuzzReport } from './reliability/fuzz.js';
import type { Segment } from './reliability/grammar.js';
import { runOurs } from './reliability/parsers.js';
import { findRustParser } from './reliability/rust.js';
import { shrink } from './reliability/shrink.js';

const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);
const rust = findRustParser();

describe('differential fuzzing of the parser', () => {
  let report: FuzzReport;
  before(() => {
    report = fuzz({ seeds: SEEDS, rust: 'path' in rust ? rust.path : undefined });
    console.log(`fuzz figures: ${JSON.stringify({ seeds: report.seeds, comparisons: report.comparisons, disagreements: report.disagreements })}`);
  });

  const agrees = (check: Check) => () => {
    assert.ok(report.comparisons[check] > 0, `no ${check} comparison ran`);
    const reproducer = report.reproducers.find((r) => r.check === check);
    assert.equal(reproducer, undefined, `minimal reproducer: ${JSON.stringify(reproducer)}`);
  };

  it('our parser gives the same log however the stream is cut into chunks', agrees('split'));
  it('our parser agrees with eventsource-parser 4.1.3 (known deviations normalised)', agrees('reference'));
  it('our parser agrees with the Rust parser (examples/parse_stdin)', { skip: 'missing' in rust && rust.missing }, agrees('rust'));

  it('shrinks a disagreement to a minimal reproducer', () => {
    // A planted bug: a "parser" that loses a CRLF split across chunks.
    const buggy = (segments: Segment[]) => segments.some((s, i) => s.cut && s.bytes.at(-1) === 13 && segments[i + 1]?.bytes[0] === 10);
    const text = (s: string, cut: boolean): Segment => ({ bytes: new TextEncoder().encode(s), cut });
    const input = [text('id: 1\n', false), text(': c\ndata: x\r', true), text('\nevent: e\n', false), text('\n', true)];
    const minimal = shrink(input, buggy);
    assert.deepEqual(
      minimal.map((s) => [Buffer.from(s.bytes).toString(), s.cut]),
      [['\r', true], ['\n', false]],
    );
    // And the real parser gets exactly that case right.
    assert.deepEqual(runOurs([Uint8Array.of(13), Uint8Array.of(10)]), { items: [], lastEventId: '' });
  });
});
