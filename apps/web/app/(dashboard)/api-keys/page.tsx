import type { Metadata } from 'next';
import { ApiKeysView } from '@/components/api-keys/api-keys-view';
import { NotAllowed } from '@/components/layout/not-allowed';
import { guardPage } from '@/lib/server/guard';
import { gatewayHint } from '@/lib/server/gateway';

export const metadata: Metadata = { title: 'API keys' };

export default async function ApiKeysPage() {
  const { allowed } = await guardPage('/api-keys');
  return allowed ? <ApiKeysView gateway={gatewayHint()} /> : <NotAllowed />;
}
