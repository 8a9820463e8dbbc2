import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';

const cli = createRequire(import.meta.url).resolve('@tauri-sse/server/dist/cli.js');

describe('sse-server CLI', () => {
  it('prints {"url"} when listening, serves /health and /clock, exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [cli, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const { url } = JSON.parse(line) as { url: string };
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${url}/health`)).status, 200);
    const before = performance.timeOrigin + performance.now();
    const clock = await fetch(`${url}/clock`);
    const after = performance.timeOrigin + performance.now();
    assert.equal(clock.headers.get('access-control-allow-origin'), '*');
    const at = Number(await clock.text());
    // Another process's origin may differ by a clock adjustment: a few ms at most.
    assert.ok(at > before - 50 && at < after + 50, `${before} ≤ ${at} ≤ ${after}`);
    // A hanging stream must not keep the server from exiting.
    const hanging = await fetch(`${url}/sse?hang=1`);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    await hanging.body?.cancel().catch(() => undefined);
  });
});
