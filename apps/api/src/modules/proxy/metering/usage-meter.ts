// Where usage is metered: the one place a proxied request's usage turns into a cost, a settled (or
// released) reservation on the key's limits, and its request-log row. Usage is observed once (by
// the protocol adapter), the cost computed once here, and both the limits and the log get the same
// figures.
import { Injectable, Logger } from '@nestjs/common';
import type { AuthenticatedKey } from '../../api-keys/api-key.types';
import type { Reservation } from '../../api-keys/limits/api-key-limiter';
import { estimateCostUsd } from '../../usage/pricing';
import { END_USER_HEADER } from '../../usage/request-log.types';
import { RequestLogWriter } from '../../usage/request-log.writer';
import { ProxyMetrics } from '../../metrics/proxy-metrics';
import type { Exchange } from '../exchange';
import type { ProxyRequest } from '../proxy.service';
import type { ObservedUsage } from '../wire/sse-observer';
import { sessionIdOf } from '../upstream/upstream-request';

export interface Outcome {
  status: 'success' | 'error' | 'cancelled';
  httpStatus: number;
  errorCode: string | null;
  usage: ObservedUsage | null;
  responseId: string | null;
  ttfbMs: number | null;
  model: string | null;
}

@Injectable()
export class UsageMeter {
  private readonly logger = new Logger('Proxy');

  constructor(
    private readonly logs: RequestLogWriter,
    readonly metrics: ProxyMetrics,
  ) {}

  /**
   * Settles the reservation and writes the log row. Charged: a completed answer, any answer whose
   * usage was observed, and an answer cut short after bytes reached the client (observed usage,
   * else the reservation's estimate). Everything else gives the reservation back.
   */
  async settle(
    req: ProxyRequest,
    reservation: Reservation | null,
    accountId: string | null,
    outcome: Outcome,
    delivered: boolean,
  ): Promise<void> {
    const usage = outcome.usage;
    const model = outcome.model ?? req.model;
    const known = usage !== null && usage.inputTokens !== null && usage.outputTokens !== null;
    const costUsd = known
      ? estimateCostUsd(model, {
          inputTokens: usage.inputTokens!,
          cachedInputTokens: usage.cachedInputTokens ?? 0,
          outputTokens: usage.outputTokens!,
        })
      : null;
    if (reservation) {
      const charge = outcome.status === 'success' || known || (delivered && outcome.status === 'cancelled');
      try {
        if (!charge) await reservation.release();
        else {
          await reservation.settle(
            known
              ? {
                  inputTokens: usage.inputTokens!,
                  cachedInputTokens: usage.cachedInputTokens ?? undefined,
                  outputTokens: usage.outputTokens!,
                  reasoningTokens: usage.reasoningTokens ?? undefined,
                  costUsd,
                }
              : null,
          );
        }
      } catch (error) {
        this.logger.warn(`Settling limits failed: ${(error as Error).message}`);
      }
    }
    this.record(req.exchange, req.key, req.route, accountId, req.stream, model, outcome, costUsd);
  }

  /** One request-log row. */
  record(
    exchange: Exchange,
    key: AuthenticatedKey,
    route: string,
    accountId: string | null,
    stream: boolean,
    model: string | null,
    outcome: Outcome,
    costUsd: number | null,
  ): void {
    const usage = outcome.usage;
    const headers = exchange.headers;
    const agent = headers['user-agent'];
    this.metrics.requestEnded(
      route,
      outcome.httpStatus,
      model ?? outcome.model,
      outcome.status,
      performance.now() - exchange.startedAt,
      outcome.ttfbMs,
      outcome.errorCode,
    );
    this.logs.record({
      requestId: exchange.id,
      requestedAt: new Date(Date.now() - (performance.now() - exchange.startedAt)),
      ownerUserId: key.ownerUserId,
      apiKeyId: key.id,
      accountId,
      route,
      model: model ?? outcome.model,
      stream,
      status: outcome.status,
      httpStatus: outcome.httpStatus,
      errorCode: outcome.errorCode,
      inputTokens: usage?.inputTokens ?? null,
      cachedInputTokens: usage?.cachedInputTokens ?? null,
      outputTokens: usage?.outputTokens ?? null,
      reasoningTokens: usage?.reasoningTokens ?? null,
      costUsd,
      latencyMs: Math.round(performance.now() - exchange.startedAt),
      ttfbMs: outcome.ttfbMs,
      clientIp: exchange.ip,
      userAgent: typeof agent === 'string' ? agent.slice(0, 256) : null,
      sessionId: sessionIdOf(headers),
      // Cleaned off the request path, by the writer (only when the header was sent).
      endUser: headers[END_USER_HEADER],
    });
  }
}
