import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createParser, DEFAULT_MAX_EVENT_SIZE, ParseError, type ParsedEvent } from '../src/parser/index.js';

const enc = (s: string) => new TextEncoder().encode(s);

function collect(options?: Parameters<typeof createParser>[1]) {
  const events: ParsedEvent[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const errors: ParseError[] = [];
  const parser = createParser(
    {
      onEvent: (e) => events.push(e),
      onRetry: (ms) => retries.push(ms),
      onComment: (c) => comments.push(c),
      onError: (e) => errors.push(e),
    },
    options,
  );
  return { parser, events, retries, comments, errors };
}

describe('createParser API', () => {
  it('works with no callbacks at all', () => {
    const parser = createParser({});
    parser.feed('retry: 1\n: c\nid: 1\ndata: x\n\ndata: ' + 'y'.repeat(50) + '\n\n');
    assert.equal(parser.lastEventId, '1');
  });

  it('rejects a bare function and a non-positive maxEventSize', () => {
    assert.throws(() => createParser((() => {}) as never), TypeError);
    assert.throws(() => createParser({}, { maxEventSize: 0 }), RangeError);
    assert.throws(() => createParser({}, { maxEventSize: Number.NaN }), RangeError);
  });

  it('lets feed and reset be passed around unbound, as eventsource-parser does', () => {
    const events: ParsedEvent[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e) });
    const { feed, reset } = parser;
    [new TextEncoder().encode('id: é\ndata: a\n\n'), 'data: b'].forEach(feed);
    reset({ consume: true });
    feed('data: c\n\n');
    assert.deepEqual(
      events.map((e) => [e.data, e.id]),
      [
        ['a', 'é'],
        ['c', 'é'],
      ],
    );
    assert.equal(parser.lastEventId, 'é');
  });

  it('shows only feed and reset: no buffered data or callbacks through Object.keys or JSON', () => {
    const parser = createParser({ onEvent: () => {} });
    parser.feed('id: 1\ndata: private');
    assert.deepEqual(Object.keys(parser), ['feed', 'reset']);
    assert.equal(JSON.stringify(parser), '{}');
  });

  it('keeps parsers apart: one parser state per createParser call', () => {
    const a = collect();
    const b = collect();
    a.parser.feed('id: 1\ndata: from');
    b.parser.feed('id: 2\ndata: other\n\n');
    a.parser.feed(' a\n\n');
    assert.deepEqual(
      [a.events.map((e) => [e.data, e.id]), b.events.map((e) => [e.data, e.id])],
      [[['from a', '1']], [['other', '2']]],
    );
  });

  it('emits eventsource-parser shaped events: event and id undefined unless set', () => {
    const { parser, events } = collect();
    parser.feed('data: a\n\nevent: t\nid: 7\ndata: b\n\nevent:\ndata: c\n\n');
    assert.deepEqual(
      events.map((e) => [e.data, e.event, e.id]),
      [
        ['a', undefined, undefined],
        ['b', 't', '7'],
        ['c', undefined, '7'],
      ],
    );
  });

  it('starts from the lastEventId option and carries it into events', () => {
    const { parser, events } = collect({ lastEventId: '41' });
    assert.equal(parser.lastEventId, '41');
    parser.feed('data: a\n\n');
    assert.equal(events[0]?.id, '41');
  });

  it('gives the same result for bytes and for text', () => {
    const input = '\ufeffid: ü\r\nevent: e\r\ndata: 😀\r\n\r\n: note\rretry: 9\n\n';
    const a = collect();
    const b = collect();
    a.parser.feed(enc(input));
    b.parser.feed(input);
    for (const key of ['events', 'retries', 'comments'] as const) assert.deepEqual(a[key], b[key]);
    assert.equal(a.parser.lastEventId, b.parser.lastEventId);
    assert.equal(a.events.length, 1);
  });

  it('joins data lines with LF whatever line follows one (data lines are sliced with their LF)', () => {
    const cases: [string, string][] = [
      ['data: a\ndata: b\n\n', 'a\nb'],
      ['data: a\nd\n\n', 'a'],
      ['data: a\ndat: x\nid: 1\n\n', 'a'],
      ['data: a\ndata\n\n', 'a\n'],
      ['data: a\ndata\ndata:b\n\n', 'a\n\nb'],
      ['data: a\ndata: b\r\n\n', 'a\nb'],
      ['data: a\ndata: b\n', ''],
    ];
    for (const [input, data] of cases) {
      for (const cut of [input.length, 8, 9]) {
        const { parser, events } = collect();
        parser.feed(input.slice(0, cut));
        parser.feed(input.slice(cut));
        parser.feed('data: next\n\n');
        assert.deepEqual(
          events.map((e) => e.data),
          data === '' ? ['a\nb\nnext'] : [data, 'next'],
          JSON.stringify([input, cut]),
        );
      }
    }
  });

  it('does not keep references to a fed buffer the caller reuses', () => {
    const { parser, events } = collect();
    const buffer = new Uint8Array(8);
    const bytes = enc('data: €\n\n'); // € is 3 bytes, cut after its first byte below
    buffer.set(bytes.subarray(0, 7));
    parser.feed(buffer.subarray(0, 7));
    buffer.fill(0x41);
    buffer.set(bytes.subarray(7));
    parser.feed(buffer.subarray(0, bytes.length - 7));
    assert.deepEqual(events.map((e) => e.data), ['€']);
  });
});

describe('reset()', () => {
  it('discards the unterminated block but keeps the last event ID string', () => {
    const { parser, events } = collect();
    parser.feed('id: 1\ndata: a\n\nid: 2\ndata: b\n');
    parser.reset();
    parser.feed('\ndata: c\n\n');
    assert.deepEqual(events.map((e) => [e.data, e.id]), [['a', '1'], ['c', '1']]);
    assert.equal(parser.lastEventId, '1');
  });

  it('with consume: true interprets the pending line as if it had ended', () => {
    const { parser, retries, comments, events } = collect();
    parser.feed('retry: 250');
    parser.reset({ consume: true });
    parser.feed(': bye');
    parser.reset({ consume: true });
    parser.feed('data: never dispatched');
    parser.reset({ consume: true });
    parser.feed('retry: 1');
    parser.reset();
    assert.deepEqual(retries, [250]);
    assert.deepEqual(comments, ['bye']);
    assert.deepEqual(events, []);
  });

  it('with consume: true turns a dangling partial code point into U+FFFD', () => {
    const { parser, comments } = collect();
    parser.feed(new Uint8Array([0x3a, 0xe2, 0x82]));
    parser.reset({ consume: true });
    assert.deepEqual(comments, ['\ufffd']);
  });

  it('starts a new stream: BOM stripped again, a CR before it does not swallow a LF after it', () => {
    const { parser, events } = collect();
    parser.feed(enc('\ufeffdata: a\n\ndata: b\r'));
    parser.reset();
    parser.feed(enc('\ufeffdata: c\n'));
    parser.feed('\n');
    assert.deepEqual(events.map((e) => e.data), ['a', 'c']);
  });

  it('called from onError, leaves the parser reset: the next feed starts a new stream', () => {
    // The oversize line arrives in pieces: a data line, then an unknown field fed a character at a time.
    for (const pieces of [['data: 0123456789', '\n'], ['x', ...'y'.repeat(14), '\n']]) {
      const events: string[] = [];
      const parser = createParser({ onEvent: (e) => events.push(e.data), onError: () => parser.reset() }, { maxEventSize: 10 });
      for (const piece of pieces) parser.feed(piece);
      parser.feed('data: ok\n\n');
      assert.deepEqual(events, ['ok'], JSON.stringify(pieces));
    }
  });

  it('ends an oversize event: the next stream is parsed normally', () => {
    const { parser, events, errors } = collect({ maxEventSize: 8 });
    parser.feed('data: 0123456789');
    parser.reset();
    parser.feed('data: ok\n\n');
    assert.equal(errors.length, 1);
    assert.deepEqual(events.map((e) => e.data), ['ok']);
  });
});

describe('maxEventSize', () => {
  it('reports a typed ParseError with size and limit, once per event, and keeps parsing', () => {
    const { parser, events, errors } = collect({ maxEventSize: 32 });
    parser.feed('data: first\n\ndata: ' + 'x'.repeat(40));
    assert.deepEqual(events.map((e) => e.data), ['first'], 'events before the oversize one are delivered at once');
    parser.feed('x'.repeat(1000) + '\ndata: ' + 'y'.repeat(100) + '\n\ndata: last\n\n');
    assert.deepEqual(events.map((e) => e.data), ['first', 'last']);
    assert.equal(errors.length, 1);
    const [err] = errors;
    assert.ok(err instanceof ParseError && err instanceof Error);
    assert.equal(err.name, 'ParseError');
    assert.equal(err.type, 'event-too-large');
    assert.equal(err.limit, 32);
    assert.ok(err.size > 32);
    assert.match(err.message, /\b32\b/);
    assert.ok(err.message.includes(String(err.size)));
  });

  it('defaults to 8 MiB of data buffer plus current line', () => {
    assert.equal(DEFAULT_MAX_EVENT_SIZE, 8 * 1048576);
    const { parser, events, errors } = collect();
    const fits = 'data:' + 'a'.repeat(DEFAULT_MAX_EVENT_SIZE - 5);
    parser.feed(fits + '\n\n' + fits + 'a\n\n');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.data.length, DEFAULT_MAX_EVENT_SIZE - 5);
    assert.equal(errors.length, 1);
  });
});

describe('lines the spec ignores, fed a character at a time', () => {
  // Unknown fields and comments nobody listens to are skipped up to their line end, not kept: fed
  // as idle streams send padding, they must still read exactly as the same stream in one chunk.
  const cases: [string, string][] = [
    ['an unknown field', 'no' + 'o'.repeat(500)],
    ['a mis-cased field', 'Data: ' + 'x'.repeat(500)],
    ['a field name that only starts like one', 'dat' + 'x'.repeat(500) + ': y'],
    ['a comment', ':' + 'z'.repeat(500)],
  ];
  for (const [name, line] of cases) {
    for (const maxEventSize of [undefined, 100]) {
      it(`${name}${maxEventSize ? ', longer than maxEventSize' : ''}`, () => {
        const input = `id: é1\ndata: a\n${line}\r\ndata: b\n\n${line}\rdata: c\n\n`;
        const run = (chunks: string[]) => {
          const log: unknown[] = [];
          const parser = createParser(
            { onEvent: (e) => log.push(['event', e.id, e.data]), onError: (e) => log.push(['error', e.type]) },
            { maxEventSize },
          );
          for (const chunk of chunks) parser.feed(chunk);
          return log;
        };
        const whole = run([input]);
        assert.deepEqual(run(Array.from(input)), whole);
        // An unknown field's line is still the line being read: it counts towards the limit, a
        // comment does not (docs/architecture.md, "Limit").
        const failed = maxEventSize !== undefined && !line.startsWith(':');
        assert.deepEqual(
          whole,
          failed
            ? [['error', 'event-too-large'], ['error', 'event-too-large']]
            : [['event', 'é1', 'a\nb'], ['event', 'é1', 'c']],
        );
      });
    }
  }
});

describe('work stays linear in the input', () => {
  /**
   * Counts characters touched by the string primitives the parser relies on, so a parser that
   * re-joins or re-scans the pending line on every chunk shows up as quadratic work, without timing.
   */
  function countWork(fn: () => void): number {
    let work = 0;
    const proto = String.prototype;
    const { indexOf, slice } = proto;
    const { join } = Array.prototype;
    const decode = TextDecoder.prototype.decode;
    proto.indexOf = function (this: string, search: string, from?: number) {
      work += this.length - (from ?? 0);
      return indexOf.call(this, search, from);
    };
    proto.slice = function (this: string, start?: number, end?: number) {
      const result = slice.call(this, start, end);
      work += result.length;
      return result;
    };
    Array.prototype.join = function (this: unknown[], sep?: string) {
      const result = join.call(this, sep);
      work += result.length;
      return result;
    };
    TextDecoder.prototype.decode = function (this: TextDecoder, ...args: Parameters<TextDecoder['decode']>) {
      const result = decode.apply(this, args);
      work += result.length;
      return result;
    };
    try {
      fn();
    } finally {
      Object.assign(proto, { indexOf, slice });
      Array.prototype.join = join;
      TextDecoder.prototype.decode = decode;
    }
    return work;
  }

  const feeds: [string, (s: string) => Uint8Array | string][] = [
    ['byte', enc],
    ['character', (s) => s],
  ];
  for (const [unit, toChunk] of feeds) {
    it(`a 64 KiB event fed one ${unit} at a time`, () => {
      // Varied, so that pieces joined out of order or twice would show.
      const value = Array.from({ length: 64 * 1024 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
      const input = 'data: ' + value + '\n\n';
      const { parser, events } = collect();
      const chunks = Array.from(input, (c) => toChunk(c));
      const work = countWork(() => {
        for (const chunk of chunks) parser.feed(chunk);
      });
      assert.equal(events[0]?.data, value);
      // Quadratic handling would be ~2e9 here; linear is a small multiple of 65544.
      assert.ok(work < 10 * input.length, `work ${work} for ${input.length} characters`);
    });
  }
});

describe('UTF-8 decoding', () => {
  // All of the decoder's paths (one-shot while the stream is ASCII, with the code point a chunk
  // cuts carried over; streaming once it is not; chunks of up to 4 bytes decoded in JS) and the
  // switches between them, on valid and invalid sequences cut anywhere.
  it('gives the same text however the bytes are cut, as a one-shot TextDecoder does', () => {
    let seed = 1;
    const pick = (n: number) => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) % n;
    const pieces = [[0x61], [0xc3, 0xa9], [0xe6, 0x97, 0xa5], [0xf0, 0x9f, 0x99, 0x82], [0x80], [0xc0], [0xe0, 0x80],
      [0xed, 0xa0, 0x80], [0xf4, 0x90], [0xff], [0xf0, 0x9f], [0xe2, 0x82]];
    const reference = new TextDecoder('utf-8', { ignoreBOM: true });
    for (let run = 0; run < 2000; run++) {
      const bytes: number[] = [];
      const mostlyAscii = pick(3) === 0;
      for (let n = 1 + pick(600); bytes.length < n; ) bytes.push(...(mostlyAscii && pick(10) > 0 ? [0x61] : pieces[pick(pieces.length)]!));
      const input = Uint8Array.from(bytes);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < input.length; ) {
        const kind = pick(3);
        const size = kind === 0 ? 1 + pick(3) : kind === 1 ? 1 + pick(40) : 128 + pick(300);
        chunks.push(input.slice(i, i + size));
        i += size;
      }
      const data: string[] = [];
      const parser = createParser({ onEvent: (e) => data.push(e.data) });
      parser.feed(enc('data: '));
      for (const chunk of chunks) parser.feed(chunk);
      parser.feed(enc('\n\n'));
      assert.deepEqual(data, [reference.decode(input)], `run ${run}`);
    }
  });
});
