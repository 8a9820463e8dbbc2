/**
 * The Rust parser (`crates/tauri-plugin-eventsource/src/parser.rs`) through its example binary
 * `parse_stdin`: cases go in on stdin, length-prefixed; one JSON log per case comes back per line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Log } from './parsers.js';

const CRATE = fileURLToPath(new URL('../../../../crates/tauri-plugin-eventsource/', import.meta.url));

export interface RustCase {
  chunks: readonly Uint8Array[];
  maxEventSize?: number | undefined;
}

/** The example binary when built after the last change to parser.rs, else why it cannot be used. */
export function findRustParser(): { path: string } | { missing: string } {
  const target = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/tauri-sse/target');
  const path = process.env.SSE_RUST_PARSER ?? join(target, 'debug/examples/parse_stdin');
  if (!existsSync(path)) return { missing: `${path} is not built (cargo build --example parse_stdin)` };
  if (statSync(path).mtimeMs < statSync(join(CRATE, 'src/parser.rs')).mtimeMs) {
    return { missing: `${path} is older than src/parser.rs (cargo build --example parse_stdin)` };
  }
  return { path };
}

/** Wire format: u32 LE maxEventSize (0 = default), u32 LE chunk count, then u32 LE length + bytes per chunk. */
function encode(cases: readonly RustCase[]): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    parts.push(b);
  };
  for (const c of cases) {
    u32(c.maxEventSize ?? 0);
    u32(c.chunks.length);
    for (const chunk of c.chunks) {
      u32(chunk.length);
      parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    }
  }
  return Buffer.concat(parts);
}

export function runRust(path: string, cases: readonly RustCase[]): Log[] {
  const result = spawnSync(path, { input: encode(cases), maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`parse_stdin failed (${result.status}): ${String(result.stderr)}`);
  const lines = String(result.stdout).split('\n').filter((l) => l !== '');
  if (lines.length !== cases.length) throw new Error(`parse_stdin answered ${lines.length} of ${cases.length} cases`);
  return lines.map((line) => JSON.parse(line) as Log);
}
