import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import type { AssetDetailsQuery, AssetKind, AssetStatus } from '@/gql/graphql';
import { UpdateAssetMutation } from '../api/assets';
import { describeWithCode } from '../errors';
import { ASSET_STATUS_LABELS, ASSET_STATUSES, KIND_LABELS, KINDS } from '../types';

type Asset = NonNullable<AssetDetailsQuery['asset']>;

const TEXT_FIELDS = [
  ['name', 'Name'],
  ['serial', 'Serial'],
  ['manufacturer', 'Manufacturer'],
  ['model', 'Model'],
  ['owner', 'Owner (username)'],
  ['location', 'Location'],
] as const;

type Values = {
  name: string;
  serial: string;
  manufacturer: string;
  model: string;
  owner: string;
  location: string;
  kind: AssetKind;
  status: AssetStatus;
  purchasedOn: string;
  warrantyUntil: string;
};

export function valuesOf(a: Asset): Values {
  return {
    name: a.name,
    serial: a.serial ?? '',
    manufacturer: a.manufacturer ?? '',
    model: a.model ?? '',
    owner: a.owner?.username ?? '',
    location: a.location ?? '',
    kind: a.kind,
    status: a.status,
    purchasedOn: a.purchasedOn ?? '',
    warrantyUntil: a.warrantyUntil ?? '',
  };
}

/** Only the fields that changed (an emptied one as `""`, which clears it). */
export function changedInput(before: Values, after: Values): Partial<Values> {
  const out: Partial<Values> = {};
  for (const k of Object.keys(after) as (keyof Values)[]) {
    const v = typeof after[k] === 'string' ? after[k].trim() : after[k];
    if (v !== before[k]) (out as Record<string, string>)[k] = v;
  }
  return out;
}

/** Staff: edits the device; sends `version`, so a stale edit is refused as a conflict. */
export function AssetEditForm({ asset, onSaved }: { asset: Asset; onSaved: () => void }) {
  const [values, setValues] = useState<Values>(() => valuesOf(asset));
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [{ fetching }, update] = useMutation(UpdateAssetMutation);
  const set = <K extends keyof Values>(k: K, v: Values[K]) => {
    setSaved(false);
    setValues((p) => ({ ...p, [k]: v }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const input = changedInput(valuesOf(asset), values);
    if (Object.keys(input).length === 0) {
      setSaved(true);
      return;
    }
    const result = await update({ tag: asset.tag, version: asset.version, input });
    if (result.error) {
      setError(describeWithCode(result.error));
      return;
    }
    setSaved(true);
    onSaved();
  };

  return (
    <form onSubmit={submit} className="card" aria-labelledby="edit-asset-title" data-testid="asset-edit-form" noValidate>
      <h2 id="edit-asset-title">Edit device</h2>
      {TEXT_FIELDS.map(([k, label]) => (
        <div className="field" key={k}>
          <label htmlFor={`asset-${k}`}>{label}</label>
          <input
            id={`asset-${k}`}
            type="text"
            autoComplete="off"
            value={values[k]}
            onChange={(e) => set(k, e.target.value)}
          />
        </div>
      ))}
      <div className="field">
        <label htmlFor="asset-kind">Kind</label>
        <select id="asset-kind" value={values.kind} onChange={(e) => set('kind', e.target.value as AssetKind)}>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {KIND_LABELS[k]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="asset-status">Status</label>
        <select id="asset-status" value={values.status} onChange={(e) => set('status', e.target.value as AssetStatus)}>
          {ASSET_STATUSES.map((s) => (
            <option key={s} value={s}>
              {ASSET_STATUS_LABELS[s]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="asset-purchased">Purchased on</label>
        <input id="asset-purchased" type="date" value={values.purchasedOn} onChange={(e) => set('purchasedOn', e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="asset-warranty">Warranty until</label>
        <input id="asset-warranty" type="date" value={values.warrantyUntil} onChange={(e) => set('warrantyUntil', e.target.value)} />
      </div>
      {error && (
        <p role="alert" className="field-error" data-testid="asset-edit-error">
          {error}
        </p>
      )}
      {saved && !error && (
        <p role="status" className="hint" data-testid="asset-saved">
          Saved.
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button" disabled={fetching} data-testid="asset-save">
          {fetching ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}
