/**
 * Feed shapes: what a single `feed()` call gets when a client hands the parser each piece as it
 * arrives, rather than fixed-size chunks. These are the shapes eventsource-parser's own benchmark
 * (bench/parse.bench.ts in its repository) measures, written anew here: one whole event per feed,
 * comments and events one line per feed, an idle stream's padding and an unknown field one
 * character per feed, one long data line in pieces of 1-7 characters, a multi-line event in one
 * feed, multi-byte text and emoji one event per feed, and a mix of edge cases. Text only: the
 * peer's `feed` takes strings.
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
    {
      name: 'multibyte-per-feed',
      describe: 'one `data:` event per feed: a sentence in one of six scripts and five emoji (ZWJ sequences, flags)',
      feeds: repeat(128, (i) => `data: ${SENTENCES[i % SENTENCES.length]} ${repeat(5, (k) => EMOJI[(i + k) % EMOJI.length]).join(' ')}\n\n`),
    },
    {
      name: 'mixed-edge-cases',
      describe: 'CRLF, a CRLF cut between feeds, CR-only lines, comments, retry, an unknown field, fields cut mid-name',
      feeds: [
        'id: 1\r\nevent: open\r\ndata: CRLF\r\n\r\n',
        'id: 2\r\nevent: cut\r\ndata: CR in one feed\r',
        '\n\r\n',
        'event: lines\ndata: one\ndata: two\ndata: three\n\n',
        ': a comment\n: and another\n',
        'event: cr\rdata: CR\rdata: only\r\r',
        'retry: 2500\nunknown: ignored\n\n',
        'eve',
        'nt: split\nda',
        'ta: name and value cut\n\n',
        'data: last',
        '\n',
        '\n',
      ],
    },
  ];
}

/** Sentences in six scripts (the `multibyte-per-feed` shape): Latin with a few non-ASCII letters, then 2-3 UTF-8 bytes a character. */
const SENTENCES = [
  'Kjøp blåbærsyltetøy på torget i morgen, før det blir utsolgt.',
  'Молоко, хлеб и сыр уже лежат на кухонном столе.',
  'ผู้ใช้ได้รับการแจ้งเตือนใหม่สามรายการ',
  'ההודעה נשלחה בהצלחה לכל חברי הצוות.',
  '新しいメッセージが三件あります。',
  'आज शाम को बैठक पाँच बजे शुरू होगी।',
];
/** Emoji of one to seven code points: surrogate pairs, skin tones, ZWJ families, flags. */
const EMOJI = ['🙂', '👍🏽', '👩‍💻', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇳🇴', '🇯🇵', '❤️', '🧑🏿‍🚀', '✨'];
