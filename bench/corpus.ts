/**
 * Deterministic benchmark corpus, mirrored by the Rust benchmark: same generator, same bytes.
 *
 * Random numbers: a 32-bit LCG, `state = state * 1664525 + 1013904223 (mod 2^32)`, seeded with 1
 * per workload; `pick(n)` = `next() % n`. Each workload appends events until it holds at least
 * `CORPUS_BYTES` bytes of UTF-8.
 */
export const CORPUS_BYTES = 4 * 1024 * 1024;
/** Chunk sizes in bytes; `LINE` cuts after every LF instead (a server that flushes every line). */
export const LINE = 0;
export const CHUNK_SIZES = [64, 1024, 16 * 1024, LINE];
export const chunkName = (size: number): string => (size === LINE ? 'line' : String(size));

export class Lcg {
  private state = 1;
  pick(n: number): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
    return this.state % n;
  }
}

// LLM tokens, a few of them multi-byte so that chunk boundaries also split code points.
export const TOKENS = ['The', ' quick', ' brown', ' fox', ' jumps', ' over', ' the', ' lazy', ' dog', '.', ',', ' and',
  ' café', ' naïve', ' —', ' 日本', ' 🙂', '\\n', ' \\"quoted\\"', ' token'];
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa'];
export const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
// Code points, picked one at a time (the Rust benchmark holds the same lists as chars).
export const TEXT_CHARS = Array.from(`${ALNUM}      .,`);
const ID_CHARS = Array.from(`${ALNUM}éü日本-_`);
const EVENT_NAMES = ['mise-à-jour', 'événement', '更新', 'обновление', 'update', 'ñandú'];

export function text(rng: Lcg, length: number, chars: string[]): string {
  let out = '';
  for (let i = 0; i < length; i++) out += chars[rng.pick(chars.length)];
  return out;
}

export interface Workload {
  name: string;
  describe: string;
  bytes: Uint8Array;
}

function build(makeEvent: (rng: Lcg, n: number) => string): Uint8Array {
  const rng = new Lcg();
  const parts: string[] = [];
  let size = 0;
  for (let n = 0; size < CORPUS_BYTES; n++) {
    const event = makeEvent(rng, n);
    parts.push(event);
    size += Buffer.byteLength(event);
  }
  return new TextEncoder().encode(parts.join(''));
}

export function workloads(): Workload[] {
  return [
    {
      name: 'llm',
      describe: 'LLM token stream: `data: {"choices":[{"delta":{"content":TOKEN}}]}` LF',
      bytes: build((rng) => `data: {"choices":[{"delta":{"content":"${TOKENS[rng.pick(TOKENS.length)]}"}}]}\n\n`),
    },
    {
      name: 'crlf-id-event',
      describe: 'CRLF events with `id:` and `event:` fields',
      bytes: build((rng, n) => `id: ${n}\r\nevent: update\r\ndata: {"seq":${n},"value":${rng.pick(100000)}}\r\n\r\n`),
    },
    {
      name: 'multiline',
      describe: '5 data lines of 6 words each',
      bytes: build((rng) => {
        let event = '';
        for (let l = 0; l < 5; l++) {
          const words: string[] = [];
          for (let w = 0; w < 6; w++) words.push(WORDS[rng.pick(WORDS.length)] as string);
          event += `data: ${words.join(' ')}\n`;
        }
        return event + '\n';
      }),
    },
    {
      name: 'crlf-utf8',
      describe: 'CRLF events with `id:`, `event:` and two data lines, non-ASCII in every event',
      bytes: build((_rng, n) => `id: ${n}\r\nevent: update\r\ndata: line one ${n}\r\ndata: line two é\r\n\r\n`),
    },
    {
      name: 'short-lines',
      describe: 'events of 8 short data lines (1-3 characters each), LF',
      bytes: build((rng) => {
        let event = '';
        for (let l = 0; l < 8; l++) event += `data: ${rng.pick(1000)}\n`;
        return event + '\n';
      }),
    },
    {
      name: 'notifications',
      describe: 'a notification as JSON (200-500 B: ids, a user, a text body), LF',
      bytes: build((rng, n) => {
        const user = 1000 + rng.pick(9000);
        const name = rng.pick(100);
        const body = text(rng, 60 + rng.pick(260), TEXT_CHARS);
        const priority = rng.pick(3);
        return `data: {"id":"ntf_${n}","type":"notification.created","created_at":${1733050000 + n},"user":{"id":${user},"name":"user${name}"},"title":"New comment on your post","body":"${body}","read":false,"priority":${priority}}\n\n`;
      }),
    },
    {
      name: 'openai-chat',
      describe: "OpenAI chat completion chunks (~250 B of JSON around one token), `data: [DONE]` every 50",
      bytes: build((rng, n) => {
        const token = TOKENS[rng.pick(TOKENS.length)];
        const chunk = `data: {"id":"chatcmpl-AbC123","object":"chat.completion.chunk","created":1733050000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_abc","choices":[{"index":0,"delta":{"content":"${token}"},"logprobs":null,"finish_reason":null}]}\n\n`;
        return n % 50 === 49 ? `${chunk}data: [DONE]\n\n` : chunk;
      }),
    },
    {
      name: 'long-ids',
      describe: 'ids of 64-200 characters and event names, both with non-ASCII text, small data, LF',
      bytes: build((rng, n) => {
        const id = text(rng, 64 + rng.pick(137), ID_CHARS);
        return `id: ${id}\nevent: ${EVENT_NAMES[rng.pick(EVENT_NAMES.length)]}\ndata: {"n":${n}}\n\n`;
      }),
    },
    {
      name: 'heartbeats',
      describe: '2-8 `: ping` comments between small events, LF',
      bytes: build((rng, n) => {
        const pings = ': ping\n\n'.repeat(2 + rng.pick(7));
        return `${pings}data: {"n":${n},"v":${rng.pick(100000)}}\n\n`;
      }),
    },
    {
      name: '64k-events',
      describe: '64 KiB single-line events of a-z',
      bytes: build((rng) => {
        const codes = new Array<number>(64 * 1024);
        for (let i = 0; i < codes.length; i++) codes[i] = 97 + rng.pick(26);
        return `data: ${String.fromCharCode(...codes)}\n\n`;
      }),
    },
    {
      name: 'one-4mib-line',
      describe: 'one event whose single data line is the whole corpus (base64-like image payload)',
      bytes: build((rng) => {
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
        const codes = new Array<number>(CORPUS_BYTES);
        for (let i = 0; i < codes.length; i++) codes[i] = alphabet.charCodeAt(rng.pick(64));
        let line = '';
        for (let i = 0; i < codes.length; i += 8192) line += String.fromCharCode(...codes.slice(i, i + 8192));
        return `data: ${line}\n\n`;
      }),
    },
  ];
}

/** FNV-1a (32 bits) over the workloads' bytes in order: both benchmarks print it, so their corpora can be seen to match. */
export function fingerprint(all: Workload[]): string {
  let hash = 0x811c9dc5;
  for (const { bytes } of all) for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return `0x${hash.toString(16).padStart(8, '0')}`;
}
