'use client';
import { useState } from 'react';
import { toast } from 'sonner';
import { Button, type ButtonProps } from './button';

/** Copies text; falls back to selecting a hidden textarea where the Clipboard API is blocked (plain HTTP). */
async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy failed');
}

export function CopyButton({
  text,
  label = 'Copy',
  ...props
}: { text: string; label?: string } & Omit<ButtonProps, 'onClick'>) {
  const [copied, setCopied] = useState(false);
  return (
    <Button
      variant="outline"
      size="sm"
      {...props}
      onClick={async () => {
        try {
          await copyText(text);
          setCopied(true);
          toast.success('Copied to clipboard.');
          setTimeout(() => setCopied(false), 2000);
        } catch {
          toast.error('Could not copy. Select the text and copy it by hand.');
        }
      }}
    >
      {copied ? 'Copied' : label}
    </Button>
  );
}
