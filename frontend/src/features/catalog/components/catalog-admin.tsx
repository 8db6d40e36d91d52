import { useMemo, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { EmptyState, ErrorMessage, Loading } from '@/components/ui/states';
import { useToast } from '@/components/ui/toast';
import type { CatalogSoftwareFieldsFragment } from '@/gql/graphql';
import { describeError } from '@/lib/errors';
import {
  AddSoftwareMutation,
  AdminCatalogQuery,
  RestoreSoftwareMutation,
  RetireSoftwareMutation,
  UpdateSoftwareMutation,
} from '../api/catalog';
import styles from './catalog.module.css';

type Software = CatalogSoftwareFieldsFragment;

/** The server's bound on a title's name and version. */
export const MAX_SOFTWARE_FIELD_CHARS = 120;

export function validateTitle(name: string, version: string): string | null {
  if (!name.trim()) return 'Enter the name of the software.';
  if ([...name.trim()].length > MAX_SOFTWARE_FIELD_CHARS || [...version.trim()].length > MAX_SOFTWARE_FIELD_CHARS) {
    return `Name and version take at most ${MAX_SOFTWARE_FIELD_CHARS} characters each.`;
  }
  return null;
}

/** Active titles first, then retired ones, each by label. */
export function sortCatalog(list: ReadonlyArray<Software>): Software[] {
  return [...list].sort((a, b) => Number(a.retired) - Number(b.retired) || a.label.localeCompare(b.label));
}

/** The software catalog (admins only): add, rename, retire, restore. */
export function CatalogAdmin() {
  const [{ data, fetching, error }, reexecute] = useQuery({ query: AdminCatalogQuery });
  // Changes made here show at once, without fetching the list again.
  const [changed, setChanged] = useState<ReadonlyMap<string, Software>>(() => new Map());
  const onChanged = (s: Software) => setChanged((prev) => new Map(prev).set(s.id, s));
  const rows = useMemo(() => {
    const list = data?.softwareCatalog ?? [];
    const merged = new Map(list.map((s) => [s.id, changed.get(s.id) ?? s]));
    for (const [id, s] of changed) if (!merged.has(id)) merged.set(id, s);
    return sortCatalog([...merged.values()]);
  }, [data, changed]);

  return (
    <section aria-labelledby="catalog-title">
      <h1 id="catalog-title">Software catalog</h1>
      <p className="hint">
        Titles people can ask to have installed. A retired title stays on the tickets that name it but leaves the
        request form.
      </p>
      <AddSoftwareForm onAdded={onChanged} />
      {error && !data ? (
        <ErrorMessage
          title="The catalog could not be loaded"
          message={describeError(error)}
          onRetry={() => reexecute({ requestPolicy: 'network-only' })}
        />
      ) : fetching && !data ? (
        <Loading />
      ) : rows.length === 0 ? (
        <EmptyState title="The catalog is empty">Add the first title above.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="data" data-testid="catalog-table">
            <caption className="visually-hidden">Software titles</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Version</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <SoftwareRow key={s.id} software={s} onChanged={onChanged} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function AddSoftwareForm({ onAdded }: { onAdded: (s: Software) => void }) {
  const toast = useToast();
  const [name, setName] = useState('');
  const [version, setVersion] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, add] = useMutation(AddSoftwareMutation);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = validateTitle(name, version);
    if (problem) {
      setError(problem);
      return;
    }
    setError(null);
    const r = await add({ name: name.trim(), ...(version.trim() ? { version: version.trim() } : {}) });
    if (r.error || !r.data) {
      setError(describeError(r.error) || 'The title could not be added.');
      return;
    }
    onAdded(r.data.addSoftware);
    toast.show(`${r.data.addSoftware.label} is in the catalog.`, 'success');
    setName('');
    setVersion('');
  };

  return (
    <form onSubmit={submit} noValidate className={`card ${styles.addForm}`} data-testid="add-software-form">
      <div className="field">
        <label htmlFor="software-name">Name</label>
        <input
          id="software-name"
          value={name}
          maxLength={MAX_SOFTWARE_FIELD_CHARS}
          onChange={(e) => setName(e.target.value)}
          data-testid="new-software-name"
        />
      </div>
      <div className="field">
        <label htmlFor="software-version">Version</label>
        <input
          id="software-version"
          value={version}
          maxLength={MAX_SOFTWARE_FIELD_CHARS}
          onChange={(e) => setVersion(e.target.value)}
          data-testid="new-software-version"
        />
      </div>
      <div className="form-actions">
        <button type="submit" className="button" disabled={fetching} data-testid="add-software-submit">
          {fetching ? 'Adding…' : 'Add title'}
        </button>
      </div>
      {error && (
        <p role="alert" className="field-error" data-testid="add-software-error">
          {error}
        </p>
      )}
    </form>
  );
}

function SoftwareRow({ software, onChanged }: { software: Software; onChanged: (s: Software) => void }) {
  const toast = useToast();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(software.name);
  const [version, setVersion] = useState(software.version);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching: saving }, update] = useMutation(UpdateSoftwareMutation);
  const [{ fetching: retiring }, retire] = useMutation(RetireSoftwareMutation);
  const [{ fetching: restoring }, restore] = useMutation(RestoreSoftwareMutation);
  const busy = saving || retiring || restoring;

  const done = (result: { error?: Parameters<typeof describeError>[0]; value: Software | undefined }, message: (s: Software) => string) => {
    if (result.error || !result.value) {
      setError(describeError(result.error) || 'That did not work.');
      return false;
    }
    setError(null);
    onChanged(result.value);
    toast.show(message(result.value), 'success');
    return true;
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const problem = validateTitle(name, version);
    if (problem) {
      setError(problem);
      return;
    }
    const r = await update({ id: software.id, name: name.trim(), version: version.trim() });
    if (done({ error: r.error, value: r.data?.updateSoftware }, (s) => `Renamed to ${s.label}.`)) setEditing(false);
  };

  const toggleRetired = async () => {
    if (software.retired) {
      const r = await restore({ id: software.id });
      done({ error: r.error, value: r.data?.restoreSoftware }, (s) => `${s.label} is back on the request form.`);
    } else {
      const r = await retire({ id: software.id });
      done({ error: r.error, value: r.data?.retireSoftware }, (s) => `${s.label} is retired.`);
    }
  };

  return (
    <tr
      data-testid="software-row"
      data-software-id={software.id}
      data-label={software.label}
      data-retired={software.retired ? 'true' : 'false'}
      className={software.retired ? styles.retired : undefined}
    >
      {editing ? (
        <td colSpan={2} data-label="Title">
          <form onSubmit={save} className={styles.rename} data-testid="rename-form">
            <input
              aria-label={`New name for ${software.label}`}
              value={name}
              maxLength={MAX_SOFTWARE_FIELD_CHARS}
              onChange={(e) => setName(e.target.value)}
              data-testid="rename-name"
            />
            <input
              aria-label={`New version for ${software.label}`}
              value={version}
              maxLength={MAX_SOFTWARE_FIELD_CHARS}
              onChange={(e) => setVersion(e.target.value)}
              data-testid="rename-version"
            />
            <button type="submit" className="button small" disabled={busy} data-testid="rename-save">
              Save
            </button>
            <button
              type="button"
              className="button secondary small"
              onClick={() => {
                setEditing(false);
                setName(software.name);
                setVersion(software.version);
                setError(null);
              }}
            >
              Cancel
            </button>
          </form>
        </td>
      ) : (
        <>
          <td data-label="Name" data-testid="software-name">
            {software.name}
          </td>
          <td data-label="Version">{software.version || '—'}</td>
        </>
      )}
      <td data-label="State">
        <span className={`badge ${software.retired ? styles.retiredBadge : styles.activeBadge}`} data-testid="software-state">
          {software.retired ? 'Retired' : 'Offered'}
        </span>
      </td>
      <td data-label="Actions">
        <div className={styles.actions}>
          {!editing && (
            <button
              type="button"
              className="button secondary small"
              disabled={busy}
              aria-label={`Rename ${software.label}`}
              data-testid="rename-software"
              onClick={() => {
                setName(software.name);
                setVersion(software.version);
                setEditing(true);
              }}
            >
              Rename
            </button>
          )}
          <button
            type="button"
            className="button secondary small"
            disabled={busy}
            aria-label={`${software.retired ? 'Restore' : 'Retire'} ${software.label}`}
            data-testid={software.retired ? 'restore-software' : 'retire-software'}
            onClick={() => void toggleRetired()}
          >
            {software.retired ? 'Restore' : 'Retire'}
          </button>
        </div>
        {error && (
          <p role="alert" className="field-error" data-testid="software-row-error">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}
