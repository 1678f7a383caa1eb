import { redirect } from 'next/navigation';
import { homePathFor } from '@/config/navigation';
import { requireSession } from '@/lib/server/session';

export default async function HomePage() {
  const session = await requireSession();
  redirect(homePathFor(session.permissions));
}
