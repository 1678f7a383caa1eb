import { redirect } from 'next/navigation';
import { landingPathFor } from '@/lib/landing';
import { requireSession } from '@/lib/server/session';

export default async function HomePage() {
  const session = await requireSession();
  redirect(landingPathFor(session));
}
