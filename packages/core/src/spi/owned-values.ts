/**
 * Values that core built itself and nobody else references: the documents the domain layer
 * derives from a stored (frozen) document and an already copied input. A transaction may freeze
 * and keep such a value as it is instead of parsing a private copy from its JSON text, which was
 * a tenth of a small write's time. Internal to core: a user's object is never marked, since
 * freezing it would change an object the caller still holds.
 */
const owned = new WeakSet<object>();

export function markOwned<T>(value: T): T {
  if (typeof value === "object" && value !== null) owned.add(value);
  return value;
}

export function isOwned(value: unknown): boolean {
  return typeof value === "object" && value !== null && owned.has(value);
}
