// Streams every /api/* request to the API so the session cookie stays first-party on the
// dashboard's origin. A route handler (not a next.config rewrite) because rewrites are frozen at
// build time and CODEX_LB_API_URL must be honoured at run time.
//
// The client's address goes to the API in X-Forwarded-For, as this server determined it
// (client-address.cjs, preloaded by `npm start` and the compose file): a browser's own
// X-Forwarded-For, Forwarded or X-Real-IP never reaches the API. Without the preload no address
// is forwarded (the API then sees this server's, one throttle bucket for all) rather than one the
// browser could have written.
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

// Set here from what this server knows, never copied from the browser's request.
const FORWARDING = new Set(['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host', 'x-forwarded-proto']);

const CLIENT_ADDRESS_MARK = Symbol.for('codex-lb.client-address');
let warnedNoClientAddress = false;

/** The address client-address.cjs put in X-Forwarded-For, or null when it did not run. */
function clientAddress(request: NextRequest): string | null {
  if ((globalThis as Record<symbol, unknown>)[CLIENT_ADDRESS_MARK] !== true) {
    if (!warnedNoClientAddress) {
      warnedNoClientAddress = true;
      console.warn(
        '[api proxy] started without client-address.cjs: client addresses are not forwarded, so the API ' +
          'throttles sign-ins for all browsers together. Start the dashboard with `npm start`.',
      );
    }
    return null;
  }
  return request.headers.get('x-forwarded-for');
}

function requestHeaders(request: NextRequest): Headers {
  const headers = new Headers();
  request.headers.forEach((value, key) => {
    const name = key.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !FORWARDING.has(name)) headers.set(key, value);
  });
  const address = clientAddress(request);
  if (address) headers.set('x-forwarded-for', address);
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
