'use client';
// The "waiting for you to finish in the other tab" state shared by browser and device sign-in.
import { useEffect, useState } from 'react';
import { Alert } from '@/components/ui/alert';
import { errorMessage } from '@/lib/api-client';
import type { OAuthStatusResponse } from '@codex-lb/shared';

function useElapsedSeconds(running: boolean) {
  const [seconds, setSeconds] = useState(0);
  useEffect(() => {
    if (!running) return;
    setSeconds(0);
    const timer = setInterval(() => setSeconds((s) => s + 1), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return seconds;
}

export function OAuthWaiting({ status, pollError }: { status: OAuthStatusResponse | undefined; pollError: unknown }) {
  const pending = !status || status.status === 'pending';
  const elapsed = useElapsedSeconds(pending);
  if (status?.status === 'error')
    return <Alert title="Sign-in failed">{status.error || 'The sign-in did not complete. Start again.'}</Alert>;
  if (status?.status === 'success') return <Alert tone="success">Account added.</Alert>;
  return (
    <div role="status" aria-live="polite" className="space-y-2">
      <div className="flex items-center justify-between text-sm">
        <span className="text-zinc-700">Waiting for you to finish signing in…</span>
        <span className="text-xs text-zinc-500 tabular-nums">
          {Math.floor(elapsed / 60)}:{String(elapsed % 60).padStart(2, '0')}
        </span>
      </div>
      <div className="h-1.5 overflow-hidden rounded-full bg-zinc-200">
        <div className="h-full w-1/3 animate-[oauth-progress_1.6s_ease-in-out_infinite] rounded-full bg-zinc-900" />
      </div>
      {pollError ? (
        <p className="text-xs text-amber-700">
          Checking the status failed ({errorMessage(pollError)}); still retrying.
        </p>
      ) : null}
    </div>
  );
}
