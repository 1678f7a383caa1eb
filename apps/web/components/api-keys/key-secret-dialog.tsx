'use client';
// The only time a key's secret is visible. Everything needed to use it is on this one screen.
import { useEffect, useState } from 'react';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { CodeBlock } from '@/components/ui/code-block';
import { CopyButton } from '@/components/ui/copy-button';
import { Dialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import {
  codexConfigToml,
  defaultGatewayUrl,
  keyExportLine,
  openAiEnvSnippet,
  type GatewayHint,
} from '@/lib/client-snippets';
import type { ApiKeySecretResponse } from '@codex-lb/shared';

export function KeySecretDialog({
  secret,
  gateway,
  onClose,
}: {
  secret: ApiKeySecretResponse | null;
  gateway: GatewayHint;
  onClose: () => void;
}) {
  const [gatewayUrl, setGatewayUrl] = useState('');
  useEffect(() => {
    if (secret && !gatewayUrl) setGatewayUrl(defaultGatewayUrl(gateway, window.location));
  }, [secret, gateway, gatewayUrl]);

  return (
    <Dialog
      open={Boolean(secret)}
      onClose={onClose}
      title={`Your new key: ${secret?.apiKey.name ?? ''}`}
      footer={<Button onClick={onClose}>I have saved the key</Button>}
    >
      {secret ? (
        <div className="space-y-5">
          <Alert tone="warning" title="Copy it now">
            This is the only time the key is shown. If you lose it, regenerate it.
          </Alert>
          <div className="flex items-center gap-2">
            <code
              className="min-w-0 flex-1 overflow-x-auto rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2 font-mono text-sm whitespace-nowrap"
              data-testid="api-key-secret"
            >
              {secret.key}
            </code>
            <CopyButton text={secret.key} label="Copy key" size="md" variant="primary" />
          </div>
          <Field
            label="Gateway address"
            hint="Where your clients reach codex-lb. Change it if they use another hostname."
          >
            <Input value={gatewayUrl} onChange={(event) => setGatewayUrl(event.target.value)} inputMode="url" />
          </Field>
          <CodeBlock label="Codex CLI: ~/.codex/config.toml" code={codexConfigToml(gatewayUrl)} />
          <CodeBlock label="Codex CLI: shell" code={keyExportLine(secret.key)} />
          <CodeBlock label="OpenAI-compatible clients: environment" code={openAiEnvSnippet(gatewayUrl, secret.key)} />
        </div>
      ) : null}
    </Dialog>
  );
}
