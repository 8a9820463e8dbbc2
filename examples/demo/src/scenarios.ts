// The demo's three scenarios, as each transport runs them. The webview's EventSource can send neither
// headers nor a body, so its variant is a CORS-enabled GET; the other two POST with a Bearer token.
import type { ConnectSpec, TransportName } from './connect.js';
import type { Until } from './run.js';

export type ScenarioName = 'llm' | 'feed' | 'resume';
export const SCENARIOS: readonly ScenarioName[] = ['llm', 'feed', 'resume'];

export const TOKEN = 'demo-token';
/**
 * The kept-alive, shared Rust connection the feed scenario opens: re-attached after a page reload,
 * joined by the notifications window.
 */
export const FEED_NAME = 'demo-feed';
/** The server drops the socket after this many events per connection in `resume`. */
export const DROP_EVERY = 5;
export const RESUME_COUNT = 30;

export interface Scenario {
  spec: ConnectSpec;
  /** When the run is complete (the UI closes it then); absent = endless. */
  until?: Until;
}

export const PROMPT = JSON.stringify({ model: 'demo', prompt: 'Why server-sent events?' });

export function scenario(name: ScenarioName, transport: TransportName, server: string, tag: string): Scenario {
  const native = transport === 'native';
  const query = new URLSearchParams({ tag });
  if (native) query.set('cors', '1');
  else query.set('auth', TOKEN);
  const auth = native ? {} : { token: TOKEN, method: 'POST' as const };
  switch (name) {
    case 'llm':
      query.set('llm', '1');
      return { spec: { transport, url: url(server, query), ...auth, ...(native ? {} : { body: PROMPT }) }, until: { data: '[DONE]' } };
    case 'feed':
      query.set('ids', '1');
      query.set('event', 'notification');
      query.set('interval', '500');
      return {
        spec: {
          transport,
          url: url(server, query),
          ...auth,
          types: ['notification'],
          ...(transport === 'tauri' ? { keepAlive: true, shared: true, name: FEED_NAME } : {}),
        },
      };
    case 'resume':
      query.set('ids', '1');
      query.set('drop', String(DROP_EVERY));
      query.set('count', String(RESUME_COUNT));
      query.set('interval', '60');
      query.set('retry', '250');
      return { spec: { transport, url: url(server, query), ...auth }, until: { lastEventId: String(RESUME_COUNT) } };
  }
}

function url(server: string, query: URLSearchParams): string {
  return `${server}/sse?${query}`;
}
