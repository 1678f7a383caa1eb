'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { toast } from 'sonner';
import { authApi } from '@/lib/api/auth';
import { errorMessage } from '@/lib/api-client';

export function useSignOut() {
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation({
    mutationFn: authApi.logout,
    onSuccess: () => {
      // Nothing cached for this user may leak into the next session in this tab.
      queryClient.clear();
      router.replace('/login');
      router.refresh();
    },
    onError: (error) => toast.error(`Could not sign out: ${errorMessage(error)}`),
  });
}
