// Invalidation between replicas. Every domain event (user, role, account, group changes) and
// every key invalidation is published on one pub/sub channel, and each replica applies what the
// others publish to its own caches within milliseconds.
//
// Pub/sub loses messages while a subscriber is disconnected, so every publish also increments an
// epoch counter in the same script (one round trip, atomic) and the message carries its epoch.
// Each replica reads the epoch every EPOCH_CHECK_MS: an epoch it never received a message for,
// still missing at the next check, means missed invalidations, and every cache is dropped
// ('caches.resync'). A reconnected subscription drops them too. While the bus cannot confirm
// invalidations (either connection down) `trusted` is false, and caches of security decisions
// read Postgres instead of their entries (fail closed).
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DomainEvents, type DomainEventMap } from '../../common/events';
import { KEY_PREFIX, RedisLink } from './redis-link';

export const CHANNEL = `${KEY_PREFIX}invalidation`;
const EPOCH_KEY = 'epoch';
const EPOCH_CHECK_MS = 500;

// KEYS[1] epoch; ARGV[1] channel (unprefixed: PUBLISH takes no key), ARGV[2] origin, ARGV[3] body.
const PUBLISH_SCRIPT = `
local epoch = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], epoch .. ' ' .. ARGV[2] .. ' ' .. ARGV[3])
return epoch`;

/** Domain events, key invalidations, login backoff counts (auth/login-backoff.ts). */
type Topic = 'event' | 'key' | 'backoff';
type Handler = (payload: unknown) => void;

@Injectable()
export class ReplicaBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ReplicaBus');
  readonly origin = randomUUID();
  private readonly handlers = new Map<Topic, Handler>();
  /** Every epoch up to this one was received (or deliberately written off by a resync). */
  private confirmed = 0;
  private readonly received = new Set<number>();
  /** Epochs missing at the last check: still missing at the next one means a resync. */
  private suspects: number[] = [];
  private timer?: NodeJS.Timeout;
  private subscribed = false;
  private everSubscribed = false;
  private checking = false;
  private pollFailed = false;
  /** Set while a remote message is applied: publishes it causes stay local. */
  private applyingRemote = false;
  /** Counters for metrics. */
  resyncs = 0;
  published = 0;
  receivedCount = 0;

  constructor(
    private readonly link: RedisLink,
    private readonly events: DomainEvents,
  ) {}

  get enabled(): boolean {
    return this.link.enabled;
  }

  /**
   * Whether a revocation made elsewhere would reach this replica now. Always true without Redis
   * (one process: every invalidation is local and synchronous).
   */
  get trusted(): boolean {
    return !this.link.enabled || (this.subscribed && !this.pollFailed && this.link.up);
  }

  onModuleInit(): void {
    if (!this.link.enabled) return;
    this.events.relayTo((event, payload) => this.publish('event', { event, payload }));
    this.on('event', (message) => {
      const { event, payload } = message as { event: keyof DomainEventMap; payload: never };
      this.events.emitLocal(event, payload);
    });
    const subscriber = this.link.subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === CHANNEL) this.receive(message);
    });
    // Also after every reconnect: whatever was published meanwhile was lost.
    subscriber.on('ready', () => void this.subscribe());
    subscriber.on('close', () => (this.subscribed = false));
    if (subscriber.status === 'ready') void this.subscribe();
    this.timer = setInterval(() => void this.checkEpoch(), EPOCH_CHECK_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.events.relayTo(null);
  }

  /** One handler per topic (the key bus and the domain events). */
  on(topic: Topic, handler: Handler): void {
    this.handlers.set(topic, handler);
  }

  /** Sends to the other replicas; a no-op without Redis or while applying a remote message. */
  publish(topic: Topic, payload: unknown): void {
    if (!this.link.enabled || this.applyingRemote) return;
    const body = JSON.stringify({ topic, payload });
    this.published++;
    this.link.command
      .eval(PUBLISH_SCRIPT, 1, EPOCH_KEY, CHANNEL, this.origin, body)
      .then((epoch) => this.received.add(Number(epoch)))
      .catch((error: Error) => {
        // The others may keep a stale entry until their epoch check or reconnect: say so.
        this.logger.warn(`Publishing an invalidation failed: ${error.message}`);
      });
  }

  private async subscribe(): Promise<void> {
    try {
      await this.link.subscriber.subscribe(CHANNEL);
      const epoch = Number((await this.link.command.get(EPOCH_KEY)) ?? 0);
      const first = !this.everSubscribed;
      this.everSubscribed = true;
      this.subscribed = true;
      this.writeOff(epoch);
      if (!first) this.resync('the invalidation subscription reconnected');
    } catch (error) {
      this.logger.warn(`Subscribing to invalidations failed: ${(error as Error).message}`);
    }
  }

  private receive(message: string): void {
    const first = message.indexOf(' ');
    const second = message.indexOf(' ', first + 1);
    if (first < 0 || second < 0) return;
    const epoch = Number(message.slice(0, first));
    const origin = message.slice(first + 1, second);
    this.received.add(epoch);
    if (origin === this.origin) return;
    this.receivedCount++;
    let parsed: { topic: Topic; payload: unknown };
    try {
      parsed = JSON.parse(message.slice(second + 1)) as { topic: Topic; payload: unknown };
    } catch {
      return;
    }
    const handler = this.handlers.get(parsed.topic);
    if (!handler) return;
    this.applyingRemote = true;
    try {
      handler(parsed.payload);
    } catch (error) {
      this.logger.warn(`Applying an invalidation failed: ${(error as Error).message}`);
    } finally {
      this.applyingRemote = false;
    }
  }

  /** Compares the shared epoch with what arrived; see the header. */
  async checkEpoch(): Promise<void> {
    if (this.checking) return;
    if (!this.subscribed) {
      // The first subscription (or a resubscription) failed: try again while the link is up.
      if (this.link.subscriber.status === 'ready' && this.link.command.status === 'ready') await this.subscribe();
      return;
    }
    this.checking = true;
    try {
      const epoch = Number((await this.link.command.get(EPOCH_KEY)) ?? 0);
      if (this.pollFailed) {
        this.pollFailed = false;
        this.writeOff(epoch);
        this.resync('Redis answered again');
        return;
      }
      const stillMissing = this.suspects.filter((e) => !this.received.has(e));
      if (stillMissing.length > 0) {
        this.writeOff(epoch);
        this.resync(`${stillMissing.length} invalidation(s) never arrived`);
        return;
      }
      if (epoch - this.confirmed > 10_000) {
        this.writeOff(epoch);
        this.resync('the epoch jumped');
        return;
      }
      const missing: number[] = [];
      for (let e = this.confirmed + 1; e <= epoch; e++) if (!this.received.has(e)) missing.push(e);
      this.suspects = missing;
      if (missing.length === 0) this.advance(epoch);
    } catch (error) {
      if (!this.pollFailed) this.logger.warn(`Reading the invalidation epoch failed: ${(error as Error).message}`);
      this.pollFailed = true;
    } finally {
      this.checking = false;
    }
  }

  private advance(epoch: number): void {
    this.confirmed = Math.max(this.confirmed, epoch);
    for (const e of this.received) if (e <= this.confirmed) this.received.delete(e);
  }

  private writeOff(epoch: number): void {
    this.suspects = [];
    this.advance(epoch);
  }

  /** Drops every cached decision of this replica. */
  resync(reason: string): void {
    this.resyncs++;
    this.logger.warn(`Dropping cached decisions: ${reason}`);
    this.events.emitLocal('caches.resync', {});
  }
}
