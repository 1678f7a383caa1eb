'use client';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { Toaster } from 'sonner';
import { ApiError } from '@/lib/api-client';

// A session can end or be forced into a password change while a page is open (an admin
// deactivates the user, resets their password). Any query or mutation that learns this sends
// the browser where the API says to go, instead of every page handling it.
function redirectOnSessionLoss(error: unknown) {
  if (!(error instanceof ApiError) || typeof window === 'undefined') return;
  const path = window.location.pathname;
  if (error.status === 401 && path !== '/login') window.location.assign('/login');
  if (error.code === 'password_change_required' && path !== '/change-password')
    window.location.assign('/change-password');
}

function makeQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache({ onError: redirectOnSessionLoss }),
    mutationCache: new MutationCache({ onError: redirectOnSessionLoss }),
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        refetchOnWindowFocus: true,
        // Retrying a 4xx only delays the message the user needs to see.
        retry: (failureCount, error) =>
          !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failureCount < 2,
      },
    },
  });
}

export function Providers({ children }: { children: ReactNode }) {
  const [client] = useState(makeQueryClient);
  return (
    <QueryClientProvider client={client}>
      {children}
      <Toaster position="top-right" richColors closeButton />
    </QueryClientProvider>
  );
}
