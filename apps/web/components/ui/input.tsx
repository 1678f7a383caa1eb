import { forwardRef, type InputHTMLAttributes, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import { cn } from '@/lib/cn';

const FIELD =
  'rounded-md border border-zinc-300 bg-white px-3 text-sm text-zinc-900 placeholder:text-zinc-400 ' +
  'disabled:bg-zinc-100 disabled:text-zinc-500 aria-[invalid=true]:border-red-500';

// Heights are a prop, not a className override: without a class-merging library two h-* classes
// would fight and the stylesheet order, not the caller, would win.
const HEIGHTS = { sm: 'h-8', md: 'h-10', auto: 'h-auto' } as const;
type ControlSize = keyof typeof HEIGHTS;

// Full width unless the caller chose a width, for the same reason as heights above.
const width = (className: string | undefined) => (/(^|\s)(w-|min-w-)/.test(className ?? '') ? undefined : 'w-full');

export const Input = forwardRef<
  HTMLInputElement,
  InputHTMLAttributes<HTMLInputElement> & { controlSize?: ControlSize }
>(function Input({ className, controlSize = 'md', ...props }, ref) {
  return <input ref={ref} className={cn(FIELD, width(className), HEIGHTS[controlSize], className)} {...props} />;
});

export const Textarea = forwardRef<HTMLTextAreaElement, TextareaHTMLAttributes<HTMLTextAreaElement>>(function Textarea(
  { className, ...props },
  ref,
) {
  return <textarea ref={ref} className={cn(FIELD, 'w-full min-h-24 py-2', className)} {...props} />;
});

export const Select = forwardRef<
  HTMLSelectElement,
  SelectHTMLAttributes<HTMLSelectElement> & { controlSize?: ControlSize }
>(function Select({ className, controlSize = 'md', ...props }, ref) {
  return (
    <select ref={ref} className={cn(FIELD, width(className), HEIGHTS[controlSize], 'pr-8', className)} {...props} />
  );
});
