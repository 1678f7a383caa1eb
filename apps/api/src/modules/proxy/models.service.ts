// The model catalogue: fetched from upstream through one of the key owner's accounts, cached for a
// few minutes, and filtered by the key's allowed models. Without a reachable account it falls back
// to the models the price table knows, so OpenAI SDK clients can still list models.
import { Injectable } from '@nestjs/common';
import { isModelAllowed, type AuthenticatedKey } from '../api-keys/api-key.types';
import { MODEL_PRICES } from '../api-keys/pricing';
import { AccountPool } from './account-pool';
import { isUsable } from './account-selector';
import { upstreamHeaders } from './upstream-request';
import { UpstreamClient } from './upstream.client';

const CACHE_MS = 5 * 60_000;
type Json = Record<string, unknown>;

@Injectable()
export class ModelsService {
  private readonly cache = new Map<string, { at: number; models: Json[] }>();

  constructor(
    private readonly pool: AccountPool,
    private readonly upstream: UpstreamClient,
  ) {}

  async codexCatalogue(key: AuthenticatedKey, clientVersion: string): Promise<{ models: Json[] }> {
    const models = await this.catalogue(key, clientVersion);
    return { models: models.filter((m) => isModelAllowed(key, String(m.slug ?? m.id))) };
  }

  async openAiList(key: AuthenticatedKey): Promise<{ object: 'list'; data: Json[] }> {
    const models = await this.catalogue(key, '0.169.0');
    const created = Math.floor(Date.now() / 1000);
    return {
      object: 'list',
      data: models
        .map((m) => String(m.slug ?? m.id))
        .filter((id) => isModelAllowed(key, id))
        .map((id) => ({ id, object: 'model', created, owned_by: 'openai' })),
    };
  }

  private async catalogue(key: AuthenticatedKey, clientVersion: string): Promise<Json[]> {
    const cached = this.cache.get(clientVersion);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.models;
    const now = Date.now();
    const allowed = key.accountIds ? new Set(key.accountIds) : null;
    const account = this.pool
      .forOwner(key.ownerUserId)
      .find((a) => isUsable(a, now) && (!allowed || allowed.has(a.id)));
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
          this.cache.set(clientVersion, { at: Date.now(), models: body.models as Json[] });
          return body.models as Json[];
        }
      } catch {
        // Fall through to the built-in list.
      }
    }
    return Object.keys(MODEL_PRICES)
      .filter((name) => !name.includes('*'))
      .map((slug) => ({ slug, display_name: slug }));
  }
}
