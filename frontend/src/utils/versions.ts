/**
 * Of two copies of the same ticket (e.g. a loaded row and one pushed by the
 * live feed), the more recent: the higher `version`, then the later
 * `updatedAt` (a comment may not bump the version). Ties keep `pushed`.
 */
export function newerOf<T extends { version: number; updatedAt: string }>(loaded: T, pushed: T | undefined): T {
  if (!pushed) return loaded;
  if (pushed.version !== loaded.version) return pushed.version > loaded.version ? pushed : loaded;
  const a = Date.parse(pushed.updatedAt);
  const b = Date.parse(loaded.updatedAt);
  if (Number.isFinite(a) && Number.isFinite(b) && a < b) return loaded;
  return pushed;
}
