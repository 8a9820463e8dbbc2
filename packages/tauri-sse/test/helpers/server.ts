import { after, before } from 'node:test';
import { startServer, type RunningServer } from '@tauri-sse/server';

/** Starts the bundled server for the current test file; `use()` returns it inside tests. */
export function useServer(): () => RunningServer {
  let server: RunningServer | undefined;
  before(async () => {
    server = await startServer({ port: 0 });
  });
  after(async () => {
    await server?.close();
  });
  return () => {
    if (server === undefined) throw new Error('server not started');
    return server;
  };
}

let tags = 0;
/** A tag unique to this process, so tests never read each other's request logs. */
export function uniqueTag(): string {
  return `t${process.pid}-${++tags}`;
}
