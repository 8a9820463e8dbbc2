// A minimal W3C WebDriver client over fetch: just what the tests need from tauri-driver.

interface WireValue<T> {
  value: T;
}

export class WebDriverError extends Error {}

export class Session {
  private constructor(
    private readonly base: string,
    readonly id: string,
  ) {}

  /** Starts the app under test: tauri-driver launches `application` in a fresh session. */
  static async create(driverUrl: string, application: string): Promise<Session> {
    const { sessionId } = await command<{ sessionId: string }>('POST', `${driverUrl}/session`, {
      capabilities: { alwaysMatch: { 'tauri:options': { application } } },
    });
    const session = new Session(driverUrl, sessionId);
    await session.send('POST', '/timeouts', { script: 180_000, pageLoad: 30_000 });
    return session;
  }

  /** Runs `script` (a function body; the last argument is the callback) and returns what it passed. */
  executeAsync<T>(script: string, args: unknown[] = []): Promise<T> {
    return this.send<T>('POST', '/execute/async', { script, args });
  }

  execute<T>(script: string, args: unknown[] = []): Promise<T> {
    return this.send<T>('POST', '/execute/sync', { script, args });
  }

  refresh(): Promise<void> {
    return this.send('POST', '/refresh', {});
  }

  /** The viewport as a PNG. */
  async screenshot(): Promise<Buffer> {
    return Buffer.from(await this.send<string>('GET', '/screenshot'), 'base64');
  }

  async delete(): Promise<void> {
    await command('DELETE', `${this.base}/session/${this.id}`);
  }

  private send<T>(method: string, path: string, body?: unknown): Promise<T> {
    return command<T>(method, `${this.base}/session/${this.id}${path}`, body);
  }
}

async function command<T>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: WireValue<T & { error?: string; message?: string }>;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new WebDriverError(`${method} ${url}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
  }
  const error = parsed.value?.error;
  if (!response.ok || error) {
    throw new WebDriverError(`${method} ${url}: ${error ?? response.status}: ${parsed.value?.message ?? text.slice(0, 500)}`);
  }
  return parsed.value;
}
