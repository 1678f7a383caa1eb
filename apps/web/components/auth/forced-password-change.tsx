'use client';
import { useRouter } from 'next/navigation';
import { toast } from 'sonner';
import { SignOutButton } from '@/components/layout/sign-out-button';
import { ChangePasswordForm } from './change-password-form';

export function ForcedPasswordChange({ username }: { username: string }) {
  const router = useRouter();
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-lg font-semibold">Choose a new password</h1>
        <p className="mt-1 text-sm text-zinc-500">
          Signed in as <span className="font-medium text-zinc-800">{username}</span>. Your password was set by an
          administrator or generated at install; replace it before continuing.
        </p>
      </div>
      <ChangePasswordForm
        submitLabel="Save and continue"
        onChanged={() => {
          toast.success('Password changed.');
          router.replace('/');
          router.refresh();
        }}
      />
      <div className="border-t border-zinc-100 pt-4">
        <SignOutButton variant="ghost" />
      </div>
    </div>
  );
}
