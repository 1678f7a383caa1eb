'use client';
// What a data-driven section shows before it has data: a skeleton while loading, a plain
// explanation on failure, and a calm "not available yet" when the API has not shipped the
// endpoint (the dashboard is built ahead of some API modules).
import type { ReactNode } from 'react';
import { ApiError, errorMessage } from '@/lib/api-client';
import { Alert } from './alert';
import { Button } from './button';
import { EmptyState } from './empty-state';
import { Skeleton } from './skeleton';

interface QueryLike {
  isPending: boolean;
  isError: boolean;
  error: unknown;
  refetch: () => unknown;
}

export function QueryState({
  query,
  feature,
  skeleton,
  children,
}: {
  query: QueryLike;
  /** Names the feature in messages: "Accounts are not available on this server yet." */
  feature: string;
  skeleton?: ReactNode;
  children: ReactNode;
}) {
  if (query.isPending) {
    return (
      skeleton ?? (
        <div className="space-y-2" role="status" aria-label={`Loading ${feature}`}>
          <Skeleton className="h-10" />
          <Skeleton className="h-10" />
          <Skeleton className="h-10" />
        </div>
      )
    );
  }
  if (query.isError) {
    if (query.error instanceof ApiError && query.error.isMissingEndpoint) {
      return (
        <EmptyState
          title={`${feature} not available yet`}
          description="This codex-lb API does not offer this feature yet. Update the API server, then reload this page."
        />
      );
    }
    return (
      <Alert title={`Could not load ${feature.toLowerCase()}`}>
        <p>{errorMessage(query.error)}</p>
        <Button variant="outline" size="sm" className="mt-2" onClick={() => query.refetch()}>
          Try again
        </Button>
      </Alert>
    );
  }
  return <>{children}</>;
}
