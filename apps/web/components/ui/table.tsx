import type { HTMLAttributes, TdHTMLAttributes, ThHTMLAttributes } from 'react';
import { cn } from '@/lib/cn';

/** Scrolls sideways on narrow screens instead of squashing columns. */
export function Table({ className, ...props }: HTMLAttributes<HTMLTableElement>) {
  // relative: keeps sr-only header text (absolutely positioned) inside the scroll box, or it
  // would widen the whole page on phones.
  return (
    <div className="relative overflow-x-auto">
      <table className={cn('w-full min-w-max border-collapse text-left text-sm', className)} {...props} />
    </div>
  );
}

export function Th({ className, ...props }: ThHTMLAttributes<HTMLTableCellElement>) {
  return (
    <th
      scope="col"
      className={cn(
        'border-b border-zinc-200 bg-zinc-50 px-3 py-2 text-xs font-medium tracking-wide text-zinc-500 uppercase',
        className,
      )}
      {...props}
    />
  );
}

export function Td({ className, ...props }: TdHTMLAttributes<HTMLTableCellElement>) {
  return <td className={cn('border-b border-zinc-100 px-3 py-2.5 align-middle', className)} {...props} />;
}
