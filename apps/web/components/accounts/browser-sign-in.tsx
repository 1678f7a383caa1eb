'use client';
import { useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/alert';
import { Button, buttonClasses } from '@/components/ui/button';
import { CopyButton } from '@/components/ui/copy-button';
import { Field } from '@/components/ui/field';
import { Textarea } from '@/components/ui/input';
import { errorMessage } from '@/lib/api-client';
import { OAuthWaiting } from './oauth-waiting';
import { useOAuthFlow } from './use-oauth-flow';

export function BrowserSignIn({ onDone }: { onDone: () => void }) {
  const { flow, start, status, manual, restart } = useOAuthFlow('browser', onDone);
  const [callbackUrl, setCallbackUrl] = useState('');
  const [pasteError, setPasteError] = useState<string>();

  function submitCallback(event: FormEvent) {
    event.preventDefault();
    if (!/^https?:\/\/\S+[?&]code=/.test(callbackUrl.trim())) {
      setPasteError('Paste the whole address from the browser bar; it contains "code=".');
      return;
    }
    setPasteError(undefined);
    manual.mutate(callbackUrl.trim());
  }

  if (!flow) {
    return (
      <div className="space-y-3">
        <p className="text-sm text-zinc-600">
          Opens the ChatGPT sign-in page. After you approve, the account is added to your pool automatically.
        </p>
        {start.isError ? <Alert>{errorMessage(start.error)}</Alert> : null}
        <Button onClick={() => start.mutate()} busy={start.isPending}>
          Start browser sign-in
        </Button>
      </div>
    );
  }

  const failed = status.data?.status === 'error';
  return (
    <div className="space-y-4">
      <ol className="list-decimal space-y-1 pl-5 text-sm text-zinc-700">
        <li>Open the sign-in link and approve access with the ChatGPT account to add.</li>
        <li>Keep this window open; it notices when you are done.</li>
      </ol>
      <div className="flex flex-wrap gap-2">
        <a href={flow.authorizationUrl} target="_blank" rel="noreferrer" className={buttonClasses('primary')}>
          Open sign-in page
        </a>
        <CopyButton text={flow.authorizationUrl} label="Copy link" size="md" />
      </div>
      <OAuthWaiting status={status.data} pollError={status.error} />
      {failed ? (
        <Button variant="outline" onClick={restart}>
          Start again
        </Button>
      ) : (
        <form onSubmit={submitCallback} noValidate className="space-y-2 border-t border-zinc-100 pt-4">
          <Field
            label="Ended on a page that did not load?"
            hint="When codex-lb runs on another machine, the final redirect to localhost fails. Copy that page's full address and paste it here."
            error={pasteError ?? (manual.isError ? errorMessage(manual.error) : undefined)}
          >
            <Textarea
              rows={2}
              className="min-h-0 font-mono text-xs"
              placeholder="http://localhost:1455/auth/callback?code=…&state=…"
              value={callbackUrl}
              onChange={(event) => setCallbackUrl(event.target.value)}
            />
          </Field>
          <Button type="submit" variant="outline" busy={manual.isPending}>
            Finish with pasted address
          </Button>
        </form>
      )}
    </div>
  );
}
