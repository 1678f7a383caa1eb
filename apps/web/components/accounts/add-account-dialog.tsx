'use client';
import { useId, useState } from 'react';
import { Dialog } from '@/components/ui/dialog';
import { cn } from '@/lib/cn';
import { AuthJsonUpload } from './auth-json-upload';
import { BrowserSignIn } from './browser-sign-in';
import { DeviceSignIn } from './device-sign-in';

const METHODS = [
  { id: 'browser', label: 'Browser sign-in' },
  { id: 'device', label: 'Device code' },
  { id: 'upload', label: 'Upload auth.json' },
] as const;

type Method = (typeof METHODS)[number]['id'];

export function AddAccountDialog({
  open,
  onClose,
  title = 'Add a ChatGPT account',
}: {
  open: boolean;
  onClose: () => void;
  title?: string;
}) {
  const [method, setMethod] = useState<Method>('browser');
  const baseId = useId();
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={title}
      description="Requests made with your API keys are spread over your accounts."
    >
      <div role="tablist" aria-label="How to add the account" className="mb-4 flex gap-1 rounded-md bg-zinc-100 p-1">
        {METHODS.map((item) => (
          <button
            key={item.id}
            type="button"
            role="tab"
            id={`${baseId}-${item.id}-tab`}
            aria-selected={method === item.id}
            aria-controls={`${baseId}-${item.id}-panel`}
            onClick={() => setMethod(item.id)}
            className={cn(
              'flex-1 rounded px-2 py-1.5 text-sm font-medium',
              method === item.id ? 'bg-white text-zinc-900 shadow-sm' : 'text-zinc-600 hover:text-zinc-900',
            )}
          >
            {item.label}
          </button>
        ))}
      </div>
      {/* Keyed so switching method abandons the other flow's polling. */}
      <div role="tabpanel" id={`${baseId}-${method}-panel`} aria-labelledby={`${baseId}-${method}-tab`} key={method}>
        {method === 'browser' ? <BrowserSignIn onDone={onClose} /> : null}
        {method === 'device' ? <DeviceSignIn onDone={onClose} /> : null}
        {method === 'upload' ? <AuthJsonUpload onDone={onClose} /> : null}
      </div>
    </Dialog>
  );
}
