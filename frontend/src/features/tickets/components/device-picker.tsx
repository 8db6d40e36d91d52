import { useQuery } from 'urql';
import { HealthBadge } from '@/components/ui/health-badge';
import { describeError } from '@/lib/errors';
import { MyDevicesQuery } from '../api/new-request';

/** The server's limit on the devices one ticket names. */
export const MAX_TICKET_DEVICES = 10;

/** Toggles `tag` in `selected`, never past the limit. */
export function toggleTag(selected: ReadonlyArray<string>, tag: string, on: boolean): string[] {
  if (!on) return selected.filter((t) => t !== tag);
  if (selected.includes(tag) || selected.length >= MAX_TICKET_DEVICES) return [...selected];
  return [...selected, tag];
}

/** "My devices": checkboxes of the caller's own devices; nothing is shown when he has none. */
export function DevicePicker({
  selected,
  onChange,
  disabled,
}: {
  selected: ReadonlyArray<string>;
  onChange: (tags: string[]) => void;
  disabled?: boolean;
}) {
  const [{ data, error }] = useQuery({ query: MyDevicesQuery });
  const devices = data?.assets.edges.map((e) => e.node) ?? [];
  if (error && !data) {
    return (
      <p className="hint" data-testid="my-devices-error">
        Your devices could not be loaded: {describeError(error)}
      </p>
    );
  }
  if (devices.length === 0) return null;
  return (
    <fieldset className="field" data-testid="my-devices">
      <legend>My devices</legend>
      <span className="hint" id="my-devices-hint">
        Tick the devices this request is about (at most {MAX_TICKET_DEVICES}).
      </span>
      {devices.map((d) => {
        const id = `device-${d.tag}`;
        return (
          <div key={d.tag} className="check-row">
            <input
              type="checkbox"
              id={id}
              checked={selected.includes(d.tag)}
              disabled={disabled || (!selected.includes(d.tag) && selected.length >= MAX_TICKET_DEVICES)}
              onChange={(e) => onChange(toggleTag(selected, d.tag, e.target.checked))}
              aria-describedby="my-devices-hint"
              data-testid={`my-device-${d.tag}`}
            />{' '}
            <label htmlFor={id}>
              {d.tag} — {d.name}
            </label>{' '}
            <HealthBadge health={d.health} />
          </div>
        );
      })}
    </fieldset>
  );
}
