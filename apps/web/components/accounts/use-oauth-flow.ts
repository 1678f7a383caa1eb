'use client';
// Starts one OAuth flow and follows it to the end; the dialog closes itself on success.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { toast } from 'sonner';
import { useOAuthStatus } from '@/hooks/use-oauth-status';
import { oauthApi } from '@/lib/api/accounts';
import { queryKeys } from '@/lib/query-keys';
import type { OAuthFlowKind, OAuthStartResponse } from '@/lib/types';
import { accountName } from './account-status-badge';

export function useOAuthFlow(kind: OAuthFlowKind, onDone: () => void) {
  const queryClient = useQueryClient();
  const [flow, setFlow] = useState<OAuthStartResponse | null>(null);
  // The latest callback, without making the success effect re-run when the parent re-renders.
  const onDoneRef = useRef(onDone);
  onDoneRef.current = onDone;
  const start = useMutation({ mutationFn: () => oauthApi.start(kind), onSuccess: setFlow });
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
