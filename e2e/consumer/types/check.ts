// Type-checked against the packed tarball by scripts/package-test.sh, as a strict consumer project
// would, under moduleResolution "bundler" and "node16". Compiling is the test: nothing runs.
import { EventSource, SseError, SseErrorEvent, attach, createParser, source, type SourceInit, type SseErrorKind } from 'tauri-sse';
import { createParser as parserOnly, type EventSourceMessage } from 'tauri-sse/parser';

const init: SourceInit = {
  transport: 'auto',
  headers: async () => ({ Authorization: 'Bearer token' }),
  retry: { initialDelay: 1000, maxDelay: 30_000, onStatus: [503], maxAttempts: 10 },
  idleTimeout: 60_000,
};
const es = new EventSource('https://api.example.com/events', init);
es.onmessage = (e: MessageEvent) => console.log(e.lastEventId, e.data);
es.onerror = (e: SseErrorEvent) => {
  const kind: SseErrorKind = e.error.kind;
  console.log(kind, e.code, e.reconnectIn, e.error instanceof SseError);
};
const readyState: 0 | 1 | 2 = es.readyState;

export async function consume(): Promise<string> {
  let out = '';
  for await (const event of source('https://api.example.com/chat', { method: 'POST', body: '{}', terminator: '[DONE]' })) {
    out += event.json<{ token: string }>().token + event.type + event.lastEventId;
  }
  attach('feed').close();
  return out + readyState;
}

const seen: EventSourceMessage[] = [];
createParser({ onEvent: (event) => seen.push(event) }).feed('data: 1\n\n');
parserOnly({ onEvent: (event) => seen.push(event) }).feed(new Uint8Array([10]));
