'use client';
// Starts one OAuth flow and follows it to the end; the dialog closes itself on success.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { toast } from 'sonner';
import type { OAuthFlowKind, StartOAuthResponse } from '@codex-lb/shared';
import { useOAuthStatus } from '@/hooks/use-oauth-status';
import { oauthApi } from '@/lib/api/accounts';
import { queryKeys } from '@/lib/query-keys';
import { accountName } from './account-status-badge';

/** The start answer for one kind of flow: browser flows carry a link, device flows a code. */
export type StartedFlow<K extends OAuthFlowKind> = Extract<StartOAuthResponse, { flow: K }>;

export function useOAuthFlow<K extends OAuthFlowKind>(kind: K, onDone: () => void) {
  const queryClient = useQueryClient();
  const [flow, setFlow] = useState<StartedFlow<K> | null>(null);
  // The latest callback, without making the success effect re-run when the parent re-renders.
  const onDoneRef = useRef(onDone);
  onDoneRef.current = onDone;
  const start = useMutation({
    mutationFn: async () => {
      const started = await oauthApi.start(kind);
      // The API answers with the kind it was asked for; anything else is a server bug, said plainly.
      if (started.flow !== kind) throw new Error(`The server started a ${started.flow} sign-in instead of ${kind}.`);
      return started as StartedFlow<K>;
    },
    onSuccess: setFlow,
  });
  const status = useOAuthStatus(flow?.flowId ?? null);
  const manual = useMutation({
    mutationFn: (callbackUrl: string) => oauthApi.manualCallback(flow!.flowId, callbackUrl),
    onSuccess: (result) => queryClient.setQueryData(queryKeys.oauthStatus(flow!.flowId), result),
  });

  const outcome = status.data?.status;
  useEffect(() => {
    if (outcome !== 'success') return;
    const account = status.data?.account;
    toast.success(account ? `Added ${accountName(account)}.` : 'Account added.');
    queryClient.invalidateQueries({ queryKey: queryKeys.accounts() });
    onDoneRef.current();
  }, [outcome, status.data?.account, queryClient]);

  return {
    flow,
    start,
    status,
    manual,
    restart: () => {
      setFlow(null);
      manual.reset();
      start.mutate();
    },
  };
}
