'use client';
// Creating or editing a custom role: a name, a slug (fixed once created) and permissions as
// checkboxes grouped by resource. Only permissions the editor holds can be granted; the others
// are shown disabled with the reason, because the API refuses such a grant anyway.
import { useEffect, useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { slugFromName } from '@/components/groups/group-access';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { useRoleMutations } from '@/hooks/use-roles';
import { errorMessage } from '@/lib/api-client';
import { permissionsByResource, validateRoleDraft, type PermissionDto, type RoleDto } from '@/lib/api/roles';
import { ROLE_NAME_MAX_LENGTH, type Permission } from '@codex-lb/shared';

export const NOT_HELD_HINT = 'You do not hold this permission, so you cannot grant it.';

export function RoleEditorDialog({
  open,
  role,
  vocabulary,
  held,
  onClose,
}: {
  open: boolean;
  /** The role to edit; null creates a new one. */
  role: RoleDto | null;
  vocabulary: readonly PermissionDto[];
  /** The editor's own permissions: the only ones they may grant. */
  held: readonly string[];
  onClose: () => void;
}) {
  const { create, update } = useRoleMutations();
  const mutation = role ? update : create;
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugEdited, setSlugEdited] = useState(false);
  const [chosen, setChosen] = useState<Set<Permission>>(new Set());
  const [errors, setErrors] = useState<{ name?: string; slug?: string; permissions?: string }>({});

  useEffect(() => {
    if (!open) return;
    setName(role?.name ?? '');
    setSlug(role?.slug ?? '');
    setSlugEdited(Boolean(role));
    setChosen(new Set(role?.permissions ?? []));
    setErrors({});
  }, [open, role]);

  function close() {
    create.reset();
    update.reset();
    onClose();
  }

  function toggle(id: Permission) {
    setChosen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const found: typeof errors = validateRoleDraft({ name, slug }, !role);
    if (chosen.size === 0) found.permissions = 'Choose at least one permission.';
    setErrors(found);
    if (Object.keys(found).length) return;
    // Keep the vocabulary's order, so the request reads like the checkboxes.
    const permissions = vocabulary.map((p) => p.id).filter((id) => chosen.has(id));
    const done = (saved: RoleDto) => {
      toast.success(role ? `${saved.name} saved; holders get it on their next request.` : `${saved.name} created.`);
      close();
    };
    if (role) update.mutate({ id: role.id, body: { name: name.trim(), permissions } }, { onSuccess: done });
    else create.mutate({ slug: slug.trim(), name: name.trim(), permissions }, { onSuccess: done });
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title={role ? `Edit ${role.name}` : 'New role'}
      description="A role is a list of permissions. Its holders get a change on their next request."
    >
      <form onSubmit={submit} noValidate className="space-y-4" aria-label={role ? 'Edit role' : 'New role'}>
        {mutation.isError ? <Alert>{errorMessage(mutation.error)}</Alert> : null}
        <Field label="Name" error={errors.name}>
          <Input
            value={name}
            maxLength={ROLE_NAME_MAX_LENGTH}
            onChange={(event) => {
              setName(event.target.value);
              if (!slugEdited) setSlug(slugFromName(event.target.value).slice(0, 32).replace(/-+$/, ''));
            }}
          />
        </Field>
        <Field label="Slug" hint={role ? 'Fixed once created.' : 'What users are assigned.'} error={errors.slug}>
          <Input
            value={slug}
            maxLength={32}
            disabled={Boolean(role)}
            autoCapitalize="none"
            className="font-mono"
            onChange={(event) => {
              setSlug(event.target.value);
              setSlugEdited(true);
            }}
          />
        </Field>
        <fieldset className="space-y-3">
          <legend className="text-sm font-medium text-zinc-800">Permissions</legend>
          {errors.permissions ? <p className="text-sm text-red-600">{errors.permissions}</p> : null}
          <div className="grid gap-3 sm:grid-cols-2">
            {permissionsByResource(vocabulary).map(({ resource, items }) => (
              <div key={resource} className="rounded-md border border-zinc-200 p-2">
                <p className="pb-1 text-xs font-medium tracking-wide text-zinc-500 uppercase">{resource}</p>
                {items.map((permission) => {
                  const grantable = held.includes(permission.id);
                  return (
                    <label
                      key={permission.id}
                      className="flex items-start gap-2 py-0.5 text-sm"
                      title={grantable ? permission.description : NOT_HELD_HINT}
                    >
                      <input
                        type="checkbox"
                        className="mt-0.5 size-4"
                        aria-label={permission.id}
                        checked={chosen.has(permission.id)}
                        disabled={!grantable}
                        aria-describedby={grantable ? `what-${permission.id}` : `not-held-${permission.id}`}
                        onChange={() => toggle(permission.id)}
                      />
                      <span className="min-w-0">
                        <span className={grantable ? 'font-mono text-xs' : 'font-mono text-xs text-zinc-400'}>
                          {permission.id}
                        </span>
                        <span id={`what-${permission.id}`} className="block text-xs text-zinc-500">
                          {permission.description}
                        </span>
                        {grantable ? null : (
                          <span id={`not-held-${permission.id}`} className="block text-xs text-amber-700">
                            {NOT_HELD_HINT}
                          </span>
                        )}
                      </span>
                    </label>
                  );
                })}
              </div>
            ))}
          </div>
        </fieldset>
        <div className="flex justify-end gap-2 pt-2">
          <Button variant="outline" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" busy={mutation.isPending}>
            {role ? 'Save role' : 'Create role'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
