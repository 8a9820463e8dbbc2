// The page of the brand-new app built by scripts/consumer-test.sh: written over the scaffold's
// src/main.ts, it uses tauri-sse as the README's "Use it in your Tauri app" shows. The test calls
// `window.__consumer.run(server, token)` over WebDriver and checks what it returns.
import { EventSource } from 'tauri-sse';

export interface StreamResult {
  transport: 'tauri' | 'auto';
  events: { id: string; data: string }[];
  errors: { kind: string; code: number | undefined; readyState: number }[];
  opens: number;
  readyState: number;
}

declare global {
  interface Window {
    __consumer?: { run(server: string, token: string): Promise<StreamResult[]> };
  }
}

// Ends when the source closes for good: the server answers 204 once the last event was sent.
function stream(transport: 'tauri' | 'auto', url: string, token: string): Promise<StreamResult> {
  return new Promise((resolve) => {
    const result: StreamResult = { transport, events: [], errors: [], opens: 0, readyState: -1 };
    const es = new EventSource(url, {
      transport,
      // `tauri` with a fixed header, `auto` with a function (called again before every reconnect)
      headers: transport === 'tauri' ? { Authorization: `Bearer ${token}` } : () => ({ Authorization: `Bearer ${token}` }),
    });
    const finish = () => {
      clearTimeout(timer);
      es.close();
      result.readyState = es.readyState;
      resolve(result);
    };
    const timer = setTimeout(finish, 30_000);
    es.onopen = () => {
      result.opens += 1;
    };
    es.onmessage = (e) => {
      result.events.push({ id: e.lastEventId, data: e.data });
    };
    es.onerror = (e) => {
      result.errors.push({ kind: e.error.kind, code: e.code, readyState: es.readyState });
      if (es.readyState === EventSource.CLOSED) finish();
    };
  });
}

window.__consumer = {
  async run(server, token) {
    // 9 events with ids; the server drops the connection after every 3; `retry: 100` keeps it quick.
    const url = (tag: string) => `${server}/sse?ids=1&count=9&drop=3&retry=100&auth=${token}&tag=${tag}`;
    const results = await Promise.all([stream('tauri', url('tauri'), token), stream('auto', url('auto'), token)]);
    document.body.textContent = JSON.stringify(results, null, 1);
    return results;
  },
};
