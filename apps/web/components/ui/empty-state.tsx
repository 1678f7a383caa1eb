import type { ReactNode } from 'react';
import { cn } from '@/lib/cn';

/** Says what is missing and what to do next; never just "No data". */
export function EmptyState({
  title,
  description,
  action,
  className,
}: {
  title: string;
  description?: ReactNode;
  action?: ReactNode;
  className?: string;
}) {
  return (
    <div
      className={cn(
        'flex flex-col items-center rounded-lg border border-dashed border-zinc-300 px-6 py-10 text-center',
        className,
      )}
    >
      <p className="text-sm font-semibold text-zinc-900">{title}</p>
      {description ? <p className="mt-1 max-w-md text-sm text-zinc-500">{description}</p> : null}
      {action ? <div className="mt-4">{action}</div> : null}
    </div>
  );
}
