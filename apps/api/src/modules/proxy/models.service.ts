// The model catalogue: fetched from upstream through one of the key owner's accounts, cached for a
// few minutes per owner and normalised client version (concurrent misses share one fetch; the
// cache is bounded), and filtered by the key's allowed models. Without a reachable account it falls back
// to the models the price table knows, so OpenAI SDK clients can still list models.
import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { isModelAllowed, type AuthenticatedKey } from '../api-keys/api-key.types';
import { MODEL_PRICES } from '../usage/pricing';
import { AccountPool } from './routing/account-pool';
import { isUsable } from './routing/account-selector';
import { upstreamHeaders } from './upstream/upstream-request';
import { UpstreamClient } from './upstream/upstream.client';

const CACHE_MS = 5 * 60_000;
const CACHE_ENTRIES = 1_000;
const DEFAULT_VERSION = '0.169.0';
type Json = Record<string, unknown>;

const REASONING_LEVELS = [
  { effort: 'low', description: 'Fast responses with lighter reasoning' },
  { effort: 'medium', description: 'Balances speed and reasoning depth for everyday tasks' },
  { effort: 'high', description: 'Greater reasoning depth for complex problems' },
];

/**
 * A catalogue entry in the shape Codex parses (its ModelInfo: an entry missing a required field
 * makes it drop the whole catalogue), for the built-in list used when no account answers.
 */
function fallbackModel(slug: string, priority: number): Json {
  return {
    slug,
    display_name: slug,
    description: slug,
    default_reasoning_level: 'medium',
    supported_reasoning_levels: REASONING_LEVELS,
    shell_type: 'shell_command',
    visibility: 'list',
    supported_in_api: true,
    priority,
    upgrade: null,
    base_instructions: null,
    supports_reasoning_summaries: true,
    support_verbosity: false,
    default_verbosity: null,
    apply_patch_tool_type: null,
    truncation_policy: { mode: 'tokens', limit: 10_000 },
    supports_parallel_tool_calls: true,
    context_window: 272_000,
    effective_context_window_percent: 95,
    experimental_supported_tools: [],
    input_modalities: ['text', 'image'],
  };
}

/** `major.minor.patch` from what the client sent; anything else is the default version. */
export function normalizeClientVersion(raw: string | null | undefined): string {
  const match = /^(\d{1,4})\.(\d{1,4})\.(\d{1,4})/.exec(raw ?? '');
  return match ? `${Number(match[1])}.${Number(match[2])}.${Number(match[3])}` : DEFAULT_VERSION;
}

@Injectable()
export class ModelsService {
  /** owner id + version -> models; a pending fetch is shared by concurrent misses. */
  private readonly cache = new LRUCache<string, Promise<Json[]>>({ max: CACHE_ENTRIES, ttl: CACHE_MS });

  constructor(
    private readonly pool: AccountPool,
    private readonly upstream: UpstreamClient,
  ) {}

  async codexCatalogue(key: AuthenticatedKey, clientVersion: string | null): Promise<{ models: Json[] }> {
    const models = await this.catalogue(key, normalizeClientVersion(clientVersion));
    return { models: models.filter((m) => isModelAllowed(key, String(m.slug ?? m.id))) };
  }

  async openAiList(key: AuthenticatedKey): Promise<{ object: 'list'; data: Json[] }> {
    const models = await this.catalogue(key, DEFAULT_VERSION);
    const created = Math.floor(Date.now() / 1000);
    return {
      object: 'list',
      data: models
        .map((m) => String(m.slug ?? m.id))
        .filter((id) => isModelAllowed(key, id))
        .map((id) => ({ id, object: 'model', created, owned_by: 'openai' })),
    };
  }

  private catalogue(key: AuthenticatedKey, clientVersion: string): Promise<Json[]> {
    const cacheKey = `${key.ownerUserId}:${clientVersion}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const pending = this.fetchCatalogue(key, clientVersion).then(({ models, fromUpstream }) => {
      // The built-in fallback is not remembered: the next request tries the upstream again.
      if (!fromUpstream && this.cache.get(cacheKey) === pending) this.cache.delete(cacheKey);
      return models;
    });
    this.cache.set(cacheKey, pending);
    return pending;
  }

  private async fetchCatalogue(
    key: AuthenticatedKey,
    clientVersion: string,
  ): Promise<{ models: Json[]; fromUpstream: boolean }> {
    const now = Date.now();
    const account = this.pool.effectivePool(key).find((a) => isUsable(a, now));
    if (account) {
      try {
        const response = await this.upstream.call({
          method: 'GET',
          path: `/codex/models?client_version=${encodeURIComponent(clientVersion)}`,
          headers: upstreamHeaders({}, account, 'application/json'),
          timeoutMs: 15_000,
        });
        const body = (await response.json()) as Json;
        if (response.statusCode === 200 && Array.isArray(body.models)) {
          return { models: body.models as Json[], fromUpstream: true };
        }
      } catch {
        // Fall through to the built-in list.
      }
    }
    const models = Object.keys(MODEL_PRICES)
      .filter((name) => !name.includes('*'))
      .map((slug, priority) => fallbackModel(slug, priority));
    return { models, fromUpstream: false };
  }
}
