'use client';
// Settings → Linked sign-ins: the caller's identities at the company's identity providers, linking
// one (a full navigation to the provider, back to /settings?linked=<slug>) and unlinking one.
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { Card, CardBody, CardHeader } from '@/components/ui/card';
import { useLoginOptions, useMyIdentities, useMyIdentityMutations } from '@/hooks/use-identity';
import { errorMessage } from '@/lib/api-client';
import { formatRelative } from '@/lib/format';

export function LinkedIdentitiesCard() {
  const options = useLoginOptions();
  const identities = useMyIdentities();
  const { link, unlink } = useMyIdentityMutations();
  const providers = options.data?.providers ?? [];
  const linked = identities.data?.items ?? [];
  if (providers.length === 0 && linked.length === 0) return null;

  return (
    <Card>
      <CardHeader title="Company sign-in" description="Identities you can sign in with instead of a password." />
      <CardBody className="space-y-3 text-sm">
        {linked.map((identity) => (
          <div key={identity.id} className="flex items-center justify-between gap-3" data-testid="linked-identity">
            <span>
              <span className="font-medium">{identity.providerName}</span>
              {identity.email ? <span className="text-zinc-500"> · {identity.email}</span> : null}
              {identity.lastLoginAt ? (
                <span className="text-zinc-400"> · last used {formatRelative(identity.lastLoginAt)}</span>
              ) : null}
            </span>
            <Button
              variant="outline"
              size="sm"
              busy={unlink.isPending}
              onClick={() => unlink.mutate(identity.id, { onError: (error) => toast.error(errorMessage(error)) })}
            >
              Unlink
            </Button>
          </div>
        ))}
        {providers
          .filter((provider) => !linked.some((identity) => identity.providerSlug === provider.slug))
          .map((provider) => (
            <Button
              key={provider.slug}
              variant="outline"
              busy={link.isPending}
              onClick={() =>
                link.mutate(provider.slug, {
                  onSuccess: ({ url }) => window.location.assign(url),
                  onError: (error) => toast.error(errorMessage(error)),
                })
              }
            >
              Link {provider.name}
            </Button>
          ))}
      </CardBody>
    </Card>
  );
}
