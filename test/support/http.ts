import type { ConnectionView, ErrorBody, LoginResponse } from '@app/contracts';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  json?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  /**
   * The source address to connect from, e.g. `127.0.0.2` (Linux routes all of 127/8 to lo), so that the app sees
   * another client IP without trusting X-Forwarded-For. Plain http only.
   */
  localAddress?: string;
}

/** A JSON request with real fetch; the body is parsed whatever the status (errors are JSON too). */
export async function request<T = unknown>(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.rawBody !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = options.rawBody;
  }
  const url = `${baseUrl}${path}`;
  const response = options.localAddress ? await requestFrom(options.localAddress, url, method, headers, body) : await fetch(url, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

/** fetch cannot choose its source address; node:http can. Answers the part of a fetch `Response` `request` reads. */
function requestFrom(
  localAddress: string,
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<Pick<Response, 'status' | 'headers' | 'text'>> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, headers, localAddress, agent: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          for (const item of Array.isArray(value) ? value : [value ?? '']) responseHeaders.append(name, item);
        }
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: incoming.statusCode ?? 0, headers: responseHeaders, text: () => Promise.resolve(text) });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * A request written byte for byte on a plain TCP connection, for what fetch and node:http refuse to send: another
 * HTTP version, an unknown Transfer-Encoding, an `Upgrade` with `Connection: upgrade`. `head` is the request line
 * and header lines, without line ends. The answer must carry a Content-Length, as nginx's and the apps' JSON
 * answers do; its body is parsed as JSON.
 */
export function rawRequest<T = unknown>(baseUrl: string, head: string[]): Promise<JsonResponse<T>> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => reject(new Error(`the connection closed before a complete answer: ${JSON.stringify(received.toString('latin1'))}`)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const headEnd = received.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const [statusLine, ...headerLines] = received.subarray(0, headEnd).toString('latin1').split('\r\n');
      const headers = new Headers();
      for (const line of headerLines) headers.append(line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim());
      const length = Number(headers.get('content-length') ?? NaN);
      if (!Number.isInteger(length)) return fail(new Error(`no Content-Length in the answer: ${statusLine}`));
      const body = received.subarray(headEnd + 4);
      if (body.length < length) return;
      socket.removeAllListeners('close');
      socket.destroy();
      const text = body.subarray(0, length).toString('utf8');
      try {
        resolve({ status: Number(statusLine.split(' ')[1]), headers, body: (text ? JSON.parse(text) : undefined) as T });
      } catch {
        reject(new Error(`${statusLine} with a body that is not JSON: ${text}`));
      }
    });
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
  });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface LoggedIn extends LoginResponse {
  /** `name=value` of the session cookie, ready for a Cookie header. */
  cookie: string;
}

export async function registerUser(baseUrl: string, username: string, password = 'correct horse battery'): Promise<{ id: string; username: string }> {
  const response = await request<{ id: string; username: string }>(baseUrl, 'POST', '/auth/register', { json: { username, password } });
  if (response.status !== 201) throw new Error(`register ${username}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function login(baseUrl: string, username: string, password = 'correct horse battery', headers: Record<string, string> = {}): Promise<LoggedIn> {
  const response = await request<LoginResponse>(baseUrl, 'POST', '/auth/login', { json: { username, password }, headers });
  if (response.status !== 200) throw new Error(`login ${username}: ${response.status} ${JSON.stringify(response.body)}`);
  const setCookie = response.headers.getSetCookie()[0] ?? '';
  return { ...response.body, cookie: setCookie.split(';')[0] };
}

/** A user's sockets in the shared registry, as the admin API lists them (`admin` is a logged-in admin). */
export async function connectionsOf(baseUrl: string, admin: Pick<LoggedIn, 'accessToken'>, userId: string): Promise<ConnectionView[]> {
  return (await request<ConnectionView[]>(baseUrl, 'GET', `/admin/users/${userId}/connections`, { headers: bearer(admin.accessToken) })).body;
}

export function isErrorBody(body: unknown): body is ErrorBody {
  return typeof body === 'object' && body !== null && 'statusCode' in body && 'error' in body && 'message' in body;
}

export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; flags (HttpOnly, Secure) map to `true`. */
  attributes: Record<string, string | true>;
}

/** Parses one `Set-Cookie` header value. */
export function parseSetCookie(header: string): SetCookie {
  const [pair, ...rest] = header.split(';').map((part) => part.trim());
  const separator = pair.indexOf('=');
  const attributes: Record<string, string | true> = {};
  for (const attribute of rest) {
    const at = attribute.indexOf('=');
    if (at < 0) attributes[attribute.toLowerCase()] = true;
    else attributes[attribute.slice(0, at).toLowerCase()] = attribute.slice(at + 1);
  }
  return { name: pair.slice(0, separator), value: pair.slice(separator + 1), attributes };
}

/** The one cookie a response sets (login sets it, logout clears it). */
export function sessionCookieOf(headers: Headers): SetCookie {
  const cookies = headers.getSetCookie();
  expect(cookies).toHaveLength(1);
  return parseSetCookie(cookies[0]);
}
