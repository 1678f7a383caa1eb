// Adding accounts by signing in: the browser flow (PKCE, redirect to the 1455 listener or a pasted
// callback URL) and the device-code flow (the server polls until the person approves). Flow state
// lives in the database with its secrets encrypted, and expires after 15 minutes.
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { ErrorCode, OAuthStatusResponse, StartOAuthResponse } from '@codex-lb/shared';
import { ApiError } from '../../../common/api-error';
import { TokenVault } from '../../../common/crypto/token-vault';
import type { Principal } from '../../../common/principal';
import { SETTINGS, type Settings } from '../../../config/settings';
import { toAccountDto } from '../accounts.mapper';
import { AccountsRepository } from '../accounts.repository';
import { AuditService } from '../../audit/audit.service';
import { AccountsService } from '../accounts.service';
import { BROWSER_REDIRECT_URI, UpstreamAuthClient, UpstreamAuthError } from '../upstream-auth.client';
import { CallbackServer } from './callback-server';
import { OAuthFlowsRepository, type FlowRow } from './oauth-flows.repository';

const FLOW_TTL_MS = 15 * 60_000;

interface BrowserSecret {
  codeVerifier: string;
}
interface DeviceSecret {
  deviceAuthId: string;
  userCode: string;
  intervalSeconds: number;
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

@Injectable()
export class OAuthService implements OnModuleDestroy {
  private readonly logger = new Logger('OAuth');
  readonly callback: CallbackServer;
  private readonly completing = new Set<string>();
  private readonly devicePollers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly flows: OAuthFlowsRepository,
    private readonly accountsRepo: AccountsRepository,
    private readonly accounts: AccountsService,
    private readonly upstream: UpstreamAuthClient,
    private readonly vault: TokenVault,
    private readonly audit: AuditService,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.callback = new CallbackServer(settings.oauthCallbackPort, settings.host, (params) => this.onCallback(params));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    for (const timer of this.devicePollers.values()) clearTimeout(timer);
    this.devicePollers.clear();
    await this.callback.stop();
  }

  async start(
    principal: Principal,
    flow: 'browser' | 'device',
    requestedOwnerId?: string,
  ): Promise<StartOAuthResponse> {
    const ownerUserId = this.accounts.ownerFor(principal, requestedOwnerId);
    if (ownerUserId !== principal.userId && !(await this.accountsRepo.userExists(ownerUserId))) {
      throw ApiError.badRequest('ownerId does not name an existing user.', 'validation_failed');
    }
    const expiresAt = new Date(Date.now() + FLOW_TTL_MS);
    if (flow === 'browser') {
      const { verifier, challenge } = pkce();
      const state = randomBytes(24).toString('base64url');
      try {
        await this.callback.ensureStarted();
      } catch (error) {
        this.logger.warn(`OAuth callback listener could not start: ${(error as Error).message}`);
      }
      const flowId = await this.accountsRepo.transaction(async (manager) => {
        const id = await this.flows.create(
          {
            ownerUserId,
            createdByUserId: principal.userId,
            flow,
            state,
            secretEnc: this.vault.encrypt(JSON.stringify({ codeVerifier: verifier } satisfies BrowserSecret)),
            expiresAt,
          },
          manager,
        );
        await this.audit.record(manager, {
          action: 'account.oauth_start',
          target: { type: 'oauth_flow', id, label: flow },
          changes: { after: { flow, ownerId: ownerUserId } },
        });
        return id;
      });
      return {
        flowId,
        flow,
        authorizationUrl: this.upstream.authorizeUrl({ state, codeChallenge: challenge }),
        expiresAt: expiresAt.toISOString(),
      };
    }
    let device;
    try {
      device = await this.upstream.deviceUserCode();
    } catch (error) {
      throw new ApiError(
        502,
        'upstream_error',
        `The sign-in service did not start a device login: ${(error as Error).message}`,
      );
    }
    const secret: DeviceSecret = device;
    const flowId = await this.accountsRepo.transaction(async (manager) => {
      const id = await this.flows.create(
        {
          ownerUserId,
          createdByUserId: principal.userId,
          flow,
          state: null,
          secretEnc: this.vault.encrypt(JSON.stringify(secret)),
          expiresAt,
        },
        manager,
      );
      await this.audit.record(manager, {
        action: 'account.oauth_start',
        target: { type: 'oauth_flow', id, label: flow },
        changes: { after: { flow, ownerId: ownerUserId } },
      });
      return id;
    });
    this.scheduleDevicePoll(flowId, secret, expiresAt, device.intervalSeconds * 1000);
    return {
      flowId,
      flow,
      userCode: device.userCode,
      verificationUrl: this.upstream.deviceVerificationUrl(),
      expiresAt: expiresAt.toISOString(),
    };
  }

  async status(principal: Principal, flowId: string): Promise<OAuthStatusResponse> {
    const flow = await this.requireFlow(principal, flowId);
    if (flow.status === 'pending' && flow.expiresAt.getTime() < Date.now()) {
      await this.flows.settle(flow.id, { status: 'error', error: 'The sign-in expired. Start again.' });
      return { flowId, status: 'error', error: 'The sign-in expired. Start again.' };
    }
    const response: OAuthStatusResponse = { flowId, status: flow.status };
    if (flow.error) response.error = flow.error;
    if (flow.accountId) {
      const row = await this.accountsRepo.findByIdUnscoped(flow.accountId);
      if (row) response.account = toAccountDto(row, undefined);
    }
    return response;
  }

  /** Completes a browser flow from a callback URL pasted by the person (browser elsewhere). */
  async manualCallback(principal: Principal, flowId: string, callbackUrl: string): Promise<OAuthStatusResponse> {
    const flow = await this.requireFlow(principal, flowId);
    let params: URLSearchParams;
    try {
      params = new URL(callbackUrl).searchParams;
    } catch {
      throw ApiError.badRequest(
        'callbackUrl is not a URL. Paste the whole address from the browser.',
        'validation_failed',
      );
    }
    if (flow.flow !== 'browser') throw ApiError.badRequest('This flow is a device-code flow.', 'validation_failed');
    if (params.get('state') !== flow.state) {
      throw ApiError.badRequest(
        'The callback URL does not belong to this sign-in (state mismatch).',
        'validation_failed',
      );
    }
    const result = await this.completeBrowser(flow, params);
    if (!result.ok) throw new ApiError(result.status ?? 400, result.code ?? 'upstream_error', result.message);
    return this.status(principal, flowId);
  }

  private async onCallback(params: URLSearchParams): Promise<{ ok: boolean; message: string }> {
    const state = params.get('state');
    const flow = state ? await this.flows.findPendingByState(state) : null;
    if (!flow)
      return { ok: false, message: 'This sign-in is unknown or already finished. Start again from the dashboard.' };
    const result = await this.completeBrowser(flow, params);
    return { ok: result.ok, message: result.message };
  }

  private async completeBrowser(
    flow: FlowRow,
    params: URLSearchParams,
  ): Promise<{ ok: boolean; message: string; status?: number; code?: ErrorCode }> {
    if (flow.status !== 'pending') {
      return flow.status === 'success'
        ? { ok: true, message: 'The account was already added. You can close this window.' }
        : { ok: false, message: flow.error ?? 'This sign-in failed.', status: 409, code: 'conflict' };
    }
    if (flow.expiresAt.getTime() < Date.now()) {
      await this.flows.settle(flow.id, { status: 'error', error: 'The sign-in expired. Start again.' });
      return { ok: false, message: 'The sign-in expired. Start again.', status: 410, code: 'oauth_flow_expired' };
    }
    const upstreamError = params.get('error');
    const code = params.get('code');
    if (upstreamError || !code) {
      const message = `The sign-in was not completed: ${params.get('error_description') ?? upstreamError ?? 'no code returned'}.`;
      await this.flows.settle(flow.id, { status: 'error', error: message });
      return { ok: false, message };
    }
    if (this.completing.has(flow.id)) return { ok: true, message: 'The sign-in is being completed.' };
    this.completing.add(flow.id);
    try {
      const secret = JSON.parse(this.vault.decrypt(flow.secretEnc)) as BrowserSecret;
      const tokens = await this.upstream.exchangeCode({
        code,
        codeVerifier: secret.codeVerifier,
        redirectUri: BROWSER_REDIRECT_URI,
      });
      return await this.finish(flow, tokens);
    } catch (error) {
      return this.fail(flow, error);
    } finally {
      this.completing.delete(flow.id);
    }
  }

  private scheduleDevicePoll(flowId: string, secret: DeviceSecret, expiresAt: Date, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => void this.pollDevice(flowId, secret, expiresAt), delayMs);
    timer.unref();
    this.devicePollers.set(flowId, timer);
  }

  private async pollDevice(flowId: string, secret: DeviceSecret, expiresAt: Date): Promise<void> {
    this.devicePollers.delete(flowId);
    const flow = await this.flows.findForUser(flowId, { all: true }).catch(() => null);
    if (!flow || flow.status !== 'pending' || this.stopped) return;
    if (expiresAt.getTime() < Date.now()) {
      await this.flows.settle(flowId, { status: 'error', error: 'The code was not approved in time. Start again.' });
      return;
    }
    let approved;
    try {
      approved = await this.upstream.deviceToken(secret.deviceAuthId, secret.userCode);
    } catch (error) {
      if (error instanceof UpstreamAuthError && error.kind === 'transient') {
        this.scheduleDevicePoll(flowId, secret, expiresAt, secret.intervalSeconds * 2000);
      } else {
        await this.fail(flow, error);
      }
      return;
    }
    if (!approved) {
      this.scheduleDevicePoll(flowId, secret, expiresAt, secret.intervalSeconds * 1000);
      return;
    }
    try {
      const tokens = await this.upstream.exchangeCode({
        code: approved.code,
        codeVerifier: approved.codeVerifier,
        redirectUri: this.upstream.deviceRedirectUri(),
      });
      await this.finish(flow, tokens);
    } catch (error) {
      await this.fail(flow, error);
    }
  }

  private async finish(flow: FlowRow, tokens: Parameters<AccountsService['register']>[1]) {
    const { account } = await this.accounts.register(flow.ownerUserId, tokens);
    await this.flows.settle(flow.id, { status: 'success', accountId: account.id });
    return { ok: true, message: `${account.email ?? 'The account'} was added to codex-lb. You can close this window.` };
  }

  private async fail(flow: FlowRow, error: unknown) {
    const message =
      error instanceof ApiError || error instanceof UpstreamAuthError
        ? error.message
        : 'The sign-in could not be completed. Try again.';
    if (!(error instanceof ApiError) && !(error instanceof UpstreamAuthError)) {
      this.logger.error(`OAuth flow ${flow.id} failed`, (error as Error)?.stack);
    }
    await this.flows.settle(flow.id, { status: 'error', error: message });
    const status = error instanceof ApiError ? error.getStatus() : 502;
    const code = error instanceof ApiError ? error.code : 'upstream_error';
    return { ok: false, message, status, code };
  }

  private async requireFlow(principal: Principal, flowId: string): Promise<FlowRow> {
    const scope = principal.permissions.has('owners:all') ? ({ all: true } as const) : { userId: principal.userId };
    const flow = await this.flows.findForUser(flowId, scope);
    if (!flow) throw new ApiError(404, 'oauth_flow_not_found', 'Sign-in flow not found.');
    return flow;
  }
}
