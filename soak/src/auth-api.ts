import type { ErrorBody } from '@app/contracts';

/** One HTTP exchange with the auth service, timed: the oracle bounds a session's end between the two times. */
export interface Exchange<T = unknown> {
  /** 0 when no answer came (connection refused, reset, timeout). */
  status: number;
  body: T | ErrorBody | undefined;
  sentAt: number;
  answeredAt: number;
  /** `name=value` of the cookie the answer set, if any (the login's session cookie). */
  cookie?: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** The auth service's HTTP API through nginx, as a browser app would call it (JSON, Origin on every request). */
export class AuthApi {
  constructor(
    readonly baseUrl: string,
    private readonly origin: string,
  ) {}

  async call<T>(method: string, path: string, options: { json?: unknown; bearer?: string; cookie?: string } = {}): Promise<Exchange<T>> {
    const headers: Record<string, string> = { origin: this.origin };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    if (options.cookie) headers.cookie = options.cookie;
    const sentAt = Date.now();
    try {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: options.json === undefined ? undefined : JSON.stringify(options.json),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      const cookie = response.headers.getSetCookie()[0]?.split(';')[0];
      return { status: response.status, body: parseJson<T>(text), sentAt, answeredAt: Date.now(), cookie };
    } catch {
      return { status: 0, body: undefined, sentAt, answeredAt: Date.now() };
    }
  }
}

function parseJson<T>(text: string): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** The stable error code of an error answer, if it has one. */
export function errorCode(exchange: Exchange): string | undefined {
  const body = exchange.body as Partial<ErrorBody> | undefined;
  return typeof body?.code === 'string' ? body.code : undefined;
}

/** An answer that says nothing about the outcome: the request may or may not have taken effect. */
export function isIndefinite(exchange: Exchange): boolean {
  return exchange.status === 0 || exchange.status >= 500;
}
