/**
 * Terminal demo: a live stream that the server keeps dropping, resumed with Last-Event-ID without
 * losing or repeating an event, then an LLM-style token stream read with `for await`.
 * Usage: node --import tsx examples/terminal/main.ts http://127.0.0.1:PORT
 */
import { EventSource, source } from 'tauri-sse';

const base = process.argv[2];
if (base === undefined) {
  console.error('usage: main.ts <server url>');
  process.exit(2);
}

const dim = (s: string) => `\x1b[2m${s}\x1b[0m`;
const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;
const status = (s: string) => console.log(`${dim(new Date().toISOString().slice(11, 23))}  ${s}`);

/** Part 1: 20 events, the connection dropped every 5; resolves when the server says "no more" (204). */
function resumingStream(): Promise<void> {
  const url = `${base}/sse?ids=1&count=20&drop=5&interval=250`;
  status(bold(`EventSource ${url}`));
  // A source waiting to reconnect does not keep Node running (its timers are unref'd, as with
  // Node's own EventSource): this script keeps itself alive until the stream is over.
  const alive = setInterval(() => undefined, 60_000);
  return new Promise<void>((resolve) => {
    const es = new EventSource(url, { retry: { initialDelay: 1000 } });
    process.once('SIGINT', () => {
      es.close();
      status('Ctrl-C: closed');
      process.exit(0);
    });
    es.onopen = () =>
      status(`\x1b[32m● open\x1b[0m${es.lastEventId ? ` (resuming after id ${es.lastEventId})` : ''}`);
    es.onmessage = (e) => status(`  id ${e.lastEventId.padStart(2)}  ${e.data}`);
    es.onerror = (e) => {
      if (es.readyState === EventSource.CONNECTING) {
        status(`\x1b[33m↻ ${e.message}\x1b[0m: reconnecting in ${e.reconnectIn} ms with Last-Event-ID: ${es.lastEventId}`);
      } else {
        status(`\x1b[31m■ closed\x1b[0m: ${e.message}${e.code === 204 ? ' (204: the server has nothing more)' : ''}`);
        clearInterval(alive);
        resolve();
      }
    };
  });
}

/** Part 2: tokens printed as they arrive, until `[DONE]`. */
async function tokenStream(): Promise<void> {
  const url = `${base}/sse?llm=1&interval=60`;
  status(bold(`source() ${url}, terminator [DONE]`));
  process.stdout.write('   ');
  for await (const event of source(url, { terminator: '[DONE]' })) {
    process.stdout.write(event.json<{ token: string }>().token);
  }
  process.stdout.write('\n');
  status('done');
}

await resumingStream();
await tokenStream();
