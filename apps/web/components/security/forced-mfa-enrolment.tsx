'use client';
// The only page an unenrolled user reaches while the server requires two-factor sign-in for them
// (the API answers everything else with 403 mfa_enrolment_required), like the forced password change.
import { useRouter } from 'next/navigation';
import { SignOutButton } from '@/components/layout/sign-out-button';
import { MfaEnrolment } from './mfa-enrolment';

export function ForcedMfaEnrolment({ username, hasPassword = true }: { username: string; hasPassword?: boolean }) {
  const router = useRouter();
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-lg font-semibold">Set up two-factor sign-in</h1>
        <p className="mt-1 text-sm text-zinc-500">
          Signed in as <span className="font-medium text-zinc-800">{username}</span>. This server requires a code from
          an authenticator app at sign-in for your role; set it up before continuing.
        </p>
      </div>
      <MfaEnrolment
        username={username}
        hasPassword={hasPassword}
        onDone={() => {
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
