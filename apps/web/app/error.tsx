'use client';
// Reached when the dashboard layout itself fails, most often because the API is down.
import { Button } from '@/components/ui/button';

export default function AppError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="mx-auto flex min-h-dvh max-w-md flex-col items-center justify-center px-6 text-center">
      <h1 className="text-xl font-semibold">The dashboard could not load</h1>
      <p className="mt-2 text-sm text-zinc-500">
        The codex-lb API may be starting or unreachable. Check that it is running and that CODEX_LB_API_URL points at
        it, then try again.
      </p>
      {error.digest ? <p className="mt-2 text-xs text-zinc-400">Reference: {error.digest}</p> : null}
      <Button className="mt-6" onClick={reset}>
        Try again
      </Button>
    </main>
  );
}
