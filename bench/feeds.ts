/**
 * Feed shapes: what a single `feed()` call gets when a client hands the parser each piece as it
 * arrives, rather than fixed-size chunks. These are the shapes eventsource-parser's own benchmark
 * (bench/parse.bench.ts in its repository) measures, written anew here: one whole event per feed,
 * comments and events one line per feed, an idle stream's padding and an unknown field one
 * character per feed, one long data line in pieces of 1-7 characters, and a multi-line event in
 * one feed. Text only: the peer's `feed` takes strings.
 */
import { ALNUM, Lcg, text, TEXT_CHARS, TOKENS } from './corpus.js';

export interface FeedShape {
  name: string;
  describe: string;
  feeds: string[];
}

/** An OpenAI-style chat completion chunk around one token. */
function chatChunk(rng: Lcg, n: number): string {
  const token = TOKENS[rng.pick(TOKENS.length)];
  return `{"id":"chatcmpl-${n % 97}","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"${token}"},"finish_reason":null}]}`;
}

/** `feeds` pieces of `stream`, each 1 to `2 * average - 1` characters long. */
function cut(rng: Lcg, stream: string, average: number): string[] {
  const feeds: string[] = [];
  for (let i = 0; i < stream.length; ) {
    const size = 1 + rng.pick(2 * average - 1);
    feeds.push(stream.slice(i, i + size));
    i += size;
  }
  return feeds;
}

export function feedShapes(): FeedShape[] {
  const rng = new Lcg();
  const repeat = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
  const events = repeat(256, (i) => `data: ${chatChunk(rng, i)}\n\n`);
  return [
    { name: 'event-per-feed', describe: 'one `data:` JSON event per feed', feeds: events },
    {
      name: 'named-per-feed',
      describe: 'one `event:` + `data:` event per feed',
      feeds: repeat(256, (i) => `event: ${['delta', 'start', 'stop'][i % 3]}\ndata: ${chatChunk(rng, i)}\n\n`),
    },
    {
      name: 'id-per-feed',
      describe: 'one `id:` + `event:` + `data:` event per feed',
      feeds: repeat(256, (i) => `id: ${1000 + i}\nevent: tick\ndata: {"n":${i},"text":"${text(rng, 12, TEXT_CHARS)}"}\n\n`),
    },
    {
      name: 'comment-per-feed',
      describe: '4 `: keep-alive` lines, each its own feed, before each event',
      feeds: repeat(64, (i) => [': keep-alive\n', ': keep-alive\n', ': keep-alive\n', ': keep-alive\n', `data: ${i}\n\n`]).flat(),
    },
    {
      name: 'colon-drip',
      describe: 'an idle stream: 512 feeds of `:`, then a line end and an event',
      feeds: [...repeat(512, () => ':'), '\ndata: finally\n\n'],
    },
    {
      name: 'unknown-field-drip',
      describe: 'an unknown field one character per feed (512), then an event',
      feeds: ['n', ...repeat(512, () => 'o'), '\ndata: finally\n\n'],
    },
    {
      name: 'line-drip',
      describe: 'one 256 KiB data line in feeds of 1-7 characters',
      feeds: cut(rng, `data: ${text(rng, 256 * 1024, Array.from(ALNUM))}\n\n`, 4),
    },
    { name: 'events-in-small-feeds', describe: 'the `event-per-feed` stream in feeds of 1-15 characters', feeds: cut(rng, events.join(''), 8) },
    {
      name: 'multiline-event',
      describe: 'one event of 500 data lines of 80 characters, in one feed',
      feeds: [`${repeat(500, () => `data: ${text(rng, 80, Array.from(ALNUM))}\n`).join('')}\n`],
    },
  ];
}
