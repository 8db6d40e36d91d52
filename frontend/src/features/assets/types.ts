import type { AssetFilter, AssetHealth, AssetKind, AssetStatus } from '@/gql/graphql';

export const KIND_LABELS: Record<AssetKind, string> = {
  LAPTOP: 'Laptop',
  DESKTOP: 'Desktop',
  SERVER: 'Server',
  NETWORK_DEVICE: 'Network device',
  PRINTER: 'Printer',
  OTHER: 'Other',
};
export const KINDS = Object.keys(KIND_LABELS) as AssetKind[];

export const ASSET_STATUS_LABELS: Record<AssetStatus, string> = {
  IN_USE: 'In use',
  IN_STOCK: 'In stock',
  IN_REPAIR: 'In repair',
  RETIRED: 'Retired',
};
export const ASSET_STATUSES = Object.keys(ASSET_STATUS_LABELS) as AssetStatus[];

/** The server's limit on the search text. */
export const MAX_ASSET_SEARCH_CHARS = 100;

export type DeviceFilter = {
  health: AssetHealth | '';
  kind: AssetKind | '';
  status: AssetStatus | '';
  /** A username; staff only. */
  owner: string;
  search: string;
};

export const EMPTY_DEVICE_FILTER: DeviceFilter = { health: '', kind: '', status: '', owner: '', search: '' };

/** The filter form as `AssetFilter`: only what is set; `owner` only for staff. */
export function toAssetFilter(f: DeviceFilter, staff: boolean): AssetFilter | null {
  const out: AssetFilter = {};
  if (f.health) out.health = f.health;
  if (f.kind) out.kind = f.kind;
  if (f.status) out.status = f.status;
  const owner = f.owner.trim();
  if (staff && owner) out.owner = owner;
  const search = f.search.trim().slice(0, MAX_ASSET_SEARCH_CHARS);
  if (search) out.search = search;
  return Object.keys(out).length ? out : null;
}

export function isDeviceFiltered(f: DeviceFilter): boolean {
  return Boolean(f.health || f.kind || f.status || f.owner.trim() || f.search.trim());
}

export type TokenState = 'usable' | 'used' | 'revoked' | 'expired';

export const TOKEN_STATE_LABELS: Record<TokenState, string> = {
  usable: 'Usable',
  used: 'Used',
  revoked: 'Revoked',
  expired: 'Expired',
};

/** An enrolment token's state: used and revoked win over expiry. */
export function tokenState(
  t: { expiresAt: string; usedAt?: string | null; revokedAt?: string | null },
  now: number = Date.now(),
): TokenState {
  if (t.usedAt) return 'used';
  if (t.revokedAt) return 'revoked';
  if (Date.parse(t.expiresAt) <= now) return 'expired';
  return 'usable';
}

/** Lifetimes offered for a new token, as `expiresIn`. */
export const TOKEN_LIFETIMES = [
  { value: '1h', label: '1 hour' },
  { value: '1d', label: '1 day' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
] as const;

export function enrollCommand(origin: string, token: string): string {
  return `itosm-agent enroll --server ${origin} --token ${token}`;
}

/** The inventory as the agent reports it (agent-protocol `Inventory`), read defensively. */
export type InventoryView = {
  cpu: string | null;
  memoryBytes: number | null;
  disks: { mount: string; filesystem: string; totalBytes: number }[];
  interfaces: { name: string; mac: string | null; addresses: string[] }[];
  software: { name: string; version: string }[];
};

const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function readInventory(json: unknown): InventoryView | null {
  const inv = obj(json);
  if (!inv) return null;
  const cpu = obj(inv.cpu);
  const cores = num(cpu?.cores);
  const model = str(cpu?.model);
  return {
    cpu: cpu ? `${model || 'Unknown CPU'}${cores ? ` (${cores} cores)` : ''}` : null,
    memoryBytes: num(inv.memory_bytes),
    disks: arr(inv.disks).map((d) => {
      const o = obj(d) ?? {};
      return { mount: str(o.mount), filesystem: str(o.filesystem), totalBytes: num(o.total_bytes) ?? 0 };
    }),
    interfaces: arr(inv.interfaces).map((i) => {
      const o = obj(i) ?? {};
      return { name: str(o.name), mac: str(o.mac) || null, addresses: arr(o.addresses).map(str).filter(Boolean) };
    }),
    software: arr(inv.software).map((s) => {
      const o = obj(s) ?? {};
      return { name: str(o.name), version: str(o.version) };
    }),
  };
}

/** Health counts of a list of devices. */
export function countByHealth(nodes: ReadonlyArray<{ health: AssetHealth }>): Record<AssetHealth, number> {
  const counts: Record<AssetHealth, number> = { UP: 0, DEGRADED: 0, DOWN: 0, UNKNOWN: 0 };
  for (const n of nodes) counts[n.health] += 1;
  return counts;
}

export function formatPercent(v: number): string {
  return `${Math.round(v * 10) / 10}%`;
}
