import { Agent, request as httpsRequest } from 'node:https';
import { createSecureContext } from 'node:tls';

export interface Response {
  readonly status: number;
  /** The parsed JSON body; undefined when the body was empty or not JSON. */
  readonly body: unknown;
  /** The text of each `Warning` header (deprecations, unknown fields in warn mode...). */
  readonly warnings: readonly string[];
}

/** The `Status` object the API server answers failures with. */
export interface Status {
  readonly kind?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly { readonly reason?: string; readonly message?: string; readonly field?: string }[];
  };
}

/**
 * Requests in flight at most, the connections of a client's pool: what verify sends at once unless
 * told otherwise. Many more than the two cores could serve one at a time, because the API server and
 * etcd do less work per request the more they are sent together (etcd answers the consistent reads
 * that every apply makes in batches, and neither waits and wakes as often). At 500 synthetic apps
 * (8,000 distinct dry-run applies), four rounds of whole runs on one server: from 16 to 96 the API
 * server's CPU 13.1 s -> 11.9 s, etcd's 1.66 s -> 0.90 s, Node's 4.05 s -> 3.84 s; 128 and 160 saved
 * nothing more. It stays well under the API server's limit of 200 mutating requests in flight
 * (--max-mutating-requests-inflight), past which it would answer 429 instead of a verdict.
 */
export const MAX_IN_FLIGHT = 96;

/**
 * The few calls verify needs, over plain HTTPS with keep-alive. A full Kubernetes client would bring
 * a large dependency for what is a handful of GETs and apply PATCHes.
 */
export class Client {
  private readonly agent: Agent;
  private readonly hostname: string;
  private readonly port: string;

  constructor(
    readonly url: string,
    private readonly token: string,
    ca: string,
    maxSockets = MAX_IN_FLIGHT,
  ) {
    // One TLS context for every connection: given `ca`, the agent makes a context per connection,
    // parsing the certificate again each time, about half of what a new connection costs Node.
    this.agent = new Agent({ keepAlive: true, maxSockets, secureContext: createSecureContext({ ca }) });
    // Parsed once: a URL per request (thousands of them) costs Node a few tenths of a second.
    const { hostname, port } = new URL(url);
    this.hostname = hostname;
    this.port = port;
  }

  /**
   * One call. With `bodyOnSuccess: false` the body of a 2xx answer is dropped unread, and the server is
   * asked to answer with the object's metadata only (`as=PartialObjectMetadata`), in protobuf: an apply
   * answers with the whole object, and at thousands of objects encoding (server) and decrypting (here)
   * what nobody reads costs seconds. A failure is a Status whatever was asked for, in JSON (the plain
   * type listed last is what errors are negotiated against: a Status is never sent `as=` anything). `body` is sent as it is when it is a string
   * (JSON already serialised by the caller), else as JSON.
   */
  request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    options: { bodyOnSuccess?: boolean } = {},
  ): Promise<Response> {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const accept = options.bodyOnSuccess === false ? METADATA_ONLY : 'application/json';
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          hostname: this.hostname,
          port: this.port,
          // An absolute path with its query, names already encoded by the caller.
          path,
          method,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept,
            ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          const keep = options.bodyOnSuccess !== false || (res.statusCode ?? 0) >= 300;
          res.on('data', (d: Buffer) => {
            if (keep) chunks.push(d);
          });
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = text;
            }
            // rawHeaders: Node joins repeated Warning headers with commas, which the messages contain too.
            const warnings: string[] = [];
            for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
              if (res.rawHeaders[i]!.toLowerCase() === 'warning') warnings.push(parseWarning(res.rawHeaders[i + 1]!));
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Accept header for an answer whose body is not read: metadata only when the call succeeds, JSON
 * otherwise. Protobuf first, as the metadata client of client-go asks (custom resources answer it too):
 * an accepted Deployment's answer is 459 bytes instead of 1,326 in JSON, which the server encodes and
 * both ends encrypt for nothing. Replaying the 8,000 distinct applies of the 500 apps, six rounds at
 * 96 at once, the API server's CPU 11.88 s -> 11.68 s. JSON metadata stays listed for a server that
 * cannot encode protobuf.
 */
const METADATA_ONLY =
  'application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json';

/** `299 - "v1 Endpoints is deprecated..."` -> the quoted text. */
function parseWarning(header: string): string {
  const m = /^\d{3} \S+ "((?:[^"\\]|\\.)*)"/.exec(header);
  return m ? m[1]!.replace(/\\(.)/g, '$1') : header;
}
