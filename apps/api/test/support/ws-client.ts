// A Responses-over-WebSocket client as Codex drives it, for specs and the bench: upgrade with the
// key and Codex headers, send `response.create` frames, read frames until a turn's terminal one.
import { WebSocket } from 'ws';

export type Frame = Record<string, any>;

const TERMINAL = new Set(['response.completed', 'response.failed', 'response.incomplete', 'response.done', 'error']);

export interface WsClient {
  ws: WebSocket;
  upgradeHeaders: Record<string, string | string[] | undefined>;
  frames: Frame[];
  /** Sends one response.create (body members at top level) and resolves with the turn's frames. */
  turn(body: Record<string, unknown>): Promise<Frame[]>;
  /** The next frame (or the one already waiting). */
  next(timeoutMs?: number): Promise<Frame>;
  closed: Promise<{ code: number; reason: string; at: number }>;
  close(): void;
}

export interface Refusal {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

export function wsUrl(httpUrl: string, path = '/backend-api/codex/responses'): string {
  return `${httpUrl.replace(/^http/, 'ws')}${path}`;
}

/** Opens a socket; rejects with a Refusal when the upgrade is answered with an HTTP status. */
export function connectWs(url: string, headers: Record<string, string>): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { 'openai-beta': 'responses_websockets=2026-02-06', ...headers } });
    const frames: Frame[] = [];
    const waiting: ((frame: Frame) => void)[] = [];
    let upgradeHeaders: WsClient['upgradeHeaders'] = {};
    let read = 0;
    ws.on('upgrade', (res) => (upgradeHeaders = res.headers));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      frames.push(frame);
      const waiter = waiting.shift();
      if (waiter) {
        read += 1;
        waiter(frame);
      }
    });
    const closed = new Promise<{ code: number; reason: string; at: number }>((done) =>
      ws.once('close', (code, reason) => done({ code, reason: reason.toString(), at: Date.now() })),
    );
    const next = (timeoutMs = 10_000) =>
      new Promise<Frame>((res, rej) => {
        if (read < frames.length) return res(frames[read++]);
        const timer = setTimeout(() => rej(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((frame) => {
          clearTimeout(timer);
          res(frame);
        });
      });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        let body: any = text;
        try {
          body = JSON.parse(text);
        } catch {
          // keep the text
        }
        reject({ status: res.statusCode ?? 0, body, headers: res.headers } satisfies Refusal);
      });
    });
    ws.on('error', (error) => reject(error));
    ws.once('open', () =>
      resolve({
        ws,
        get upgradeHeaders() {
          return upgradeHeaders;
        },
        frames,
        next,
        closed,
        close: () => ws.close(),
        async turn(body) {
          ws.send(JSON.stringify({ type: 'response.create', ...body }));
          const out: Frame[] = [];
          for (;;) {
            const frame = await next();
            out.push(frame);
            if (TERMINAL.has(frame.type)) return out;
          }
        },
      }),
    );
  });
}

/** The upgrade's refusal (status and body); fails when the upgrade succeeded. */
export async function refusedWs(url: string, headers: Record<string, string>): Promise<Refusal> {
  try {
    const client = await connectWs(url, headers);
    client.close();
  } catch (error) {
    if (typeof (error as Refusal).status === 'number') return error as Refusal;
    throw error;
  }
  throw new Error('the upgrade was accepted');
}
