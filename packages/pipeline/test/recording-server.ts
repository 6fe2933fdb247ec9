import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

/**
 * A server on 127.0.0.1 that answers every request with `body` and records the path of each, for
 * the tests of the file that calls this: started before them, closed after. `url` is set once it listens.
 */
export function recordingServer(body: string): { readonly url: string; readonly requests: string[] } {
  const server = { url: '', requests: [] as string[] };
  const http = createServer((req, res) => {
    server.requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body);
  });
  beforeAll(async () => {
    await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
    server.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(() => http.close());
  return server;
}
