// Streams every /api/* request to the API so the session cookie stays first-party on the
// dashboard's origin. A route handler (not a next.config rewrite) because rewrites are frozen at
// build time and CODEX_LB_API_URL must be honoured at run time.
import type { NextRequest } from 'next/server';
import { apiOrigin } from '@/lib/server/api-origin';

export const dynamic = 'force-dynamic';

// Hop-by-hop headers describe one connection, not the message; fetch manages its own.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  // Ask the API for identity encoding: fetch would decompress silently and the
  // Content-Encoding header would then lie to the browser.
  'accept-encoding',
]);

function requestHeaders(request: NextRequest): Headers {
  const headers = new Headers();
  request.headers.forEach((value, key) => {
    if (!HOP_BY_HOP.has(key.toLowerCase())) headers.set(key, value);
  });
  headers.set('accept-encoding', 'identity');
  const host = request.headers.get('host');
  if (host) headers.set('x-forwarded-host', host);
  headers.set('x-forwarded-proto', request.nextUrl.protocol.replace(':', ''));
  return headers;
}

function responseHeaders(upstream: Response): Headers {
  const headers = new Headers();
  upstream.headers.forEach((value, key) => {
    const name = key.toLowerCase();
    if (HOP_BY_HOP.has(name) || name === 'set-cookie' || name === 'content-encoding') return;
    headers.set(key, value);
  });
  // Several cookies may be set at once; Headers.forEach would fold them into one line.
  for (const cookie of upstream.headers.getSetCookie()) headers.append('set-cookie', cookie);
  return headers;
}

function unreachable(requestId: string): Response {
  return Response.json(
    {
      error: {
        code: 'api_unreachable',
        message: 'The dashboard cannot reach the codex-lb API. Check that it is running.',
        requestId,
      },
    },
    { status: 502 },
  );
}

async function forward(request: NextRequest): Promise<Response> {
  const target = `${apiOrigin()}${request.nextUrl.pathname}${request.nextUrl.search}`;
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  try {
    const upstream = await fetch(target, {
      method: request.method,
      headers: requestHeaders(request),
      body: hasBody ? request.body : undefined,
      // Required by Node's fetch to send a ReadableStream body without buffering it.
      ...(hasBody ? { duplex: 'half' } : {}),
      redirect: 'manual',
      cache: 'no-store',
      signal: request.signal,
    } as RequestInit);
    return new Response(upstream.body, {
      status: upstream.status,
      statusText: upstream.statusText,
      headers: responseHeaders(upstream),
    });
  } catch (error) {
    if (request.signal.aborted) return new Response(null, { status: 499 });
    console.error(`[api proxy] ${request.method} ${target} failed:`, (error as Error).message);
    return unreachable(crypto.randomUUID());
  }
}

export const GET = forward;
export const HEAD = forward;
export const POST = forward;
export const PUT = forward;
export const PATCH = forward;
export const DELETE = forward;
export const OPTIONS = forward;
