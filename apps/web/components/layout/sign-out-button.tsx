'use client';
import { Button, type ButtonProps } from '@/components/ui/button';
import { useSignOut } from '@/hooks/use-sign-out';

export function SignOutButton(props: Omit<ButtonProps, 'onClick' | 'busy'>) {
  const signOut = useSignOut();
  return (
    <Button variant="outline" size="sm" {...props} onClick={() => signOut.mutate()} busy={signOut.isPending}>
      Sign out
    </Button>
  );
}
