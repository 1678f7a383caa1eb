import Link from 'next/link';
import { buttonClasses } from '@/components/ui/button';

export function NotAllowed() {
  return (
    <div className="mx-auto flex max-w-md flex-col items-center py-16 text-center" data-testid="not-allowed">
      <p className="text-sm font-medium text-zinc-500">403</p>
      <h1 className="mt-2 text-xl font-semibold">You are not allowed to view this page</h1>
      <p className="mt-2 text-sm text-zinc-500">
        It is reserved for administrators. Ask an admin of this codex-lb if you need access.
      </p>
      <Link href="/" className={`${buttonClasses('primary')} mt-6`}>
        Back to the dashboard
      </Link>
    </div>
  );
}
