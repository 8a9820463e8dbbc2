#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startServer } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`sse-server: --port must be 0..65535, got "${values.port}"`);
  process.exit(2);
}

const server = await startServer({ port, host: values.host });
// The one line other processes (Rust tests, the demo, e2e tests) read to find the server.
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
