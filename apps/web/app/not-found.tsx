import Link from 'next/link';
import { buttonClasses } from '@/components/ui/button';

export default function NotFound() {
  return (
    <main className="mx-auto flex min-h-dvh max-w-md flex-col items-center justify-center px-6 text-center">
      <p className="text-sm font-medium text-zinc-500">404</p>
      <h1 className="mt-2 text-xl font-semibold">This page does not exist</h1>
      <p className="mt-2 text-sm text-zinc-500">Check the address, or go back to the dashboard.</p>
      <Link href="/" className={`${buttonClasses('primary')} mt-6`}>
        Back to the dashboard
      </Link>
    </main>
  );
}
