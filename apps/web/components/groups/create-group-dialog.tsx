'use client';
import { useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { useGroupMutations } from '@/hooks/use-groups';
import { errorMessage } from '@/lib/api-client';
import type { GroupDto } from '@codex-lb/shared';
import { slugFromName, validateGroupDraft } from './group-access';

export function CreateGroupDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (group: GroupDto) => void;
}) {
  const { create } = useGroupMutations();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  // The slug follows the name until the user edits it themselves.
  const [slugEdited, setSlugEdited] = useState(false);
  const [errors, setErrors] = useState<{ name?: string; slug?: string }>({});

  function close() {
    setName('');
    setSlug('');
    setSlugEdited(false);
    setErrors({});
    create.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const draft = { name: name.trim(), slug: slug.trim() };
    const found = validateGroupDraft(draft);
    setErrors(found);
    if (found.name || found.slug) return;
    create.mutate(draft, {
      onSuccess: (group) => {
        close();
        onCreated(group);
      },
    });
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title="New group"
      description="A group pools ChatGPT accounts for its members. You become its owner."
    >
      <form onSubmit={submit} noValidate className="space-y-4" aria-label="New group">
        {create.isError ? <Alert>{errorMessage(create.error)}</Alert> : null}
        <Field label="Group name" error={errors.name}>
          <Input
            value={name}
            autoComplete="off"
            placeholder="Platform team"
            onChange={(event) => {
              setName(event.target.value);
              if (!slugEdited) setSlug(slugFromName(event.target.value));
            }}
          />
        </Field>
        <Field label="Slug" hint="Lower-case letters, digits and dashes; unique on this server." error={errors.slug}>
          <Input
            value={slug}
            autoComplete="off"
            placeholder="platform-team"
            onChange={(event) => {
              setSlugEdited(true);
              setSlug(event.target.value);
            }}
          />
        </Field>
        <div className="flex justify-end gap-2 border-t border-zinc-100 pt-4">
          <Button variant="outline" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" busy={create.isPending}>
            Create group
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
