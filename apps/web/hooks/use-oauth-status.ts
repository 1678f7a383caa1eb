'use client';
import { useQuery } from '@tanstack/react-query';
import { oauthApi } from '@/lib/api/accounts';
import { queryKeys } from '@/lib/query-keys';

const POLL_MS = 2_000;

/** Polls a sign-in flow until it succeeds or fails; the flow is finished on the API's side. */
export function useOAuthStatus(flowId: string | null) {
  return useQuery({
    queryKey: queryKeys.oauthStatus(flowId ?? ''),
    queryFn: () => oauthApi.status(flowId as string),
    enabled: Boolean(flowId),
    refetchInterval: (query) => (query.state.data?.status === 'pending' || !query.state.data ? POLL_MS : false),
    refetchIntervalInBackground: true,
    staleTime: 0,
  });
}
