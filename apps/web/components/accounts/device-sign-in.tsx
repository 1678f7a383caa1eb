'use client';
import { Alert } from '@/components/ui/alert';
import { Button, buttonClasses } from '@/components/ui/button';
import { CopyButton } from '@/components/ui/copy-button';
import { errorMessage } from '@/lib/api-client';
import { OAuthWaiting } from './oauth-waiting';
import { useOAuthFlow } from './use-oauth-flow';

export function DeviceSignIn({ onDone }: { onDone: () => void }) {
  const { flow, start, status, restart } = useOAuthFlow('device', onDone);

  if (!flow) {
    return (
      <div className="space-y-3">
        <p className="text-sm text-zinc-600">
          Get a one-time code, then enter it on any device where you can sign in to ChatGPT. Useful when this browser
          cannot reach the sign-in page.
        </p>
        {start.isError ? <Alert>{errorMessage(start.error)}</Alert> : null}
        <Button onClick={() => start.mutate()} busy={start.isPending}>
          Get a device code
        </Button>
      </div>
    );
  }

  return (
    <div className="space-y-4">
      <div className="rounded-lg border border-zinc-200 bg-zinc-50 p-4 text-center">
        <p className="text-xs text-zinc-500">Your code</p>
        <p className="mt-1 font-mono text-2xl font-semibold tracking-[0.2em]" aria-live="polite">
          {flow.userCode}
        </p>
        <CopyButton className="mt-2" text={flow.userCode} label="Copy code" />
      </div>
      <p className="text-sm text-zinc-700">
        Go to{' '}
        <a
          href={flow.verificationUrl}
          target="_blank"
          rel="noreferrer"
          className="font-medium break-all text-indigo-700 underline"
        >
          {flow.verificationUrl}
        </a>
        , sign in, and enter the code.
      </p>
      <OAuthWaiting status={status.data} pollError={status.error} />
      {status.data?.status === 'error' ? (
        <Button variant="outline" onClick={restart}>
          Get a new code
        </Button>
      ) : (
        <a href={flow.verificationUrl} target="_blank" rel="noreferrer" className={buttonClasses('outline', 'sm')}>
          Open verification page
        </a>
      )}
    </div>
  );
}
