'use client';
// Ten recovery codes, shown once: copy them or download them as a text file. The API keeps only
// their HMACs, so closing this is the last chance to see them.
import { CopyButton } from '@/components/ui/copy-button';
import { Button } from '@/components/ui/button';

export function recoveryCodesText(codes: readonly string[], username: string): string {
  return [`codex-lb recovery codes for ${username}`, 'Each code works once.', '', ...codes, ''].join('\n');
}

function download(codes: readonly string[], username: string) {
  const blob = new Blob([recoveryCodesText(codes, username)], { type: 'text/plain' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `codex-lb-recovery-codes-${username}.txt`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

export function RecoveryCodes({ codes, username }: { codes: readonly string[]; username: string }) {
  return (
    <div className="space-y-3">
      <p className="text-sm text-zinc-700">
        Save these recovery codes somewhere safe. Each signs you in once if you lose your authenticator; they are not
        shown again.
      </p>
      <ol
        aria-label="Recovery codes"
        className="grid grid-cols-2 gap-x-4 gap-y-1 rounded-md border border-zinc-200 bg-zinc-50 p-3 font-mono text-sm"
      >
        {codes.map((code) => (
          <li key={code} data-testid="recovery-code">
            {code}
          </li>
        ))}
      </ol>
      <div className="flex flex-wrap gap-2">
        <CopyButton text={codes.join('\n')} label="Copy codes" />
        <Button size="sm" variant="outline" onClick={() => download(codes, username)}>
          Download codes
        </Button>
      </div>
    </div>
  );
}
