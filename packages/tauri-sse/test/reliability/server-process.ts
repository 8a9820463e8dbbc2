/** The bundled server's CLI as a child process, so a test can kill -9 it and start it again on the same port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const cli = createRequire(import.meta.url).resolve('@tauri-sse/server/dist/cli.js');

export interface ServerProcess {
  url: string;
  port: number;
  /** SIGKILL (no cleanup, sockets die with the process); resolves once it exited. */
  kill(): Promise<void>;
}

export async function spawnServer(port = 0): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [cli, '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`sse-server exited with ${String(code)} before listening`))),
  ])) as [string];
  lines.close();
  const { url } = JSON.parse(line) as { url: string };
  return {
    url,
    port: Number(new URL(url).port),
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
