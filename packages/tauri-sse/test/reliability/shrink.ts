/**
 * Shrinks a failing input to a small one that still fails: drops segments (grammar pieces or
 * parts of them), merges chunks, then drops single bytes, until nothing more can go.
 */
import type { Segment } from './grammar.js';

export function shrink(segments: Segment[], fails: (segments: Segment[]) => boolean): Segment[] {
  let current = segments;
  for (let progress = true; progress; ) {
    progress = false;
    for (const candidate of [dropEach, mergeEach, dropEach, dropEachByte]) {
      const next = candidate(current, fails);
      if (next !== current) {
        current = next;
        progress = true;
      }
    }
  }
  return coalesce(current);
}

type Pass = (segments: Segment[], fails: (segments: Segment[]) => boolean) => Segment[];

const dropEach: Pass = (segments, fails) => {
  let current = segments;
  for (let i = current.length - 1; i >= 0; i--) {
    const next = current.filter((_, j) => j !== i);
    if (fails(next)) current = next;
  }
  return current;
};

/** Removes a chunk boundary (the segment joins the next chunk). */
const mergeEach: Pass = (segments, fails) => {
  let current = segments;
  for (let i = 0; i < current.length - 1; i++) {
    if (!current[i]?.cut) continue;
    const next = current.map((s, j) => (j === i ? { ...s, cut: false } : s));
    if (fails(next)) current = next;
  }
  return current;
};

/** Drops bytes one at a time, keeping every chunk boundary where it was. */
const dropEachByte: Pass = (segments, fails) => {
  const bytes = segments.flatMap((s) =>
    Array.from(s.bytes, (b, i) => ({ bytes: Uint8Array.of(b), cut: s.cut && i === s.bytes.length - 1 })),
  );
  const shrunk = dropEach(bytes, fails);
  return shrunk.length === bytes.length ? segments : coalesce(shrunk);
};

/** Joins neighbouring segments within a chunk, so the reproducer shows one string per chunk. */
function coalesce(segments: Segment[]): Segment[] {
  const out: Segment[] = [];
  let pending: Uint8Array[] = [];
  for (const s of segments) {
    pending.push(s.bytes);
    if (!s.cut) continue;
    out.push({ bytes: Buffer.concat(pending), cut: true });
    pending = [];
  }
  if (pending.length > 0) out.push({ bytes: Buffer.concat(pending), cut: false });
  return out;
}
