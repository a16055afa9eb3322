/**
 * Adapters open in this process, by environment path. lmdb-js shares one native environment per
 * path within a process, so compaction must know about siblings the reader table cannot show
 * (they share this process's pid).
 */
const open = new Map<string, number>();

export function registerOpen(path: string): void {
  open.set(path, (open.get(path) ?? 0) + 1);
}

export function unregisterOpen(path: string): void {
  const n = (open.get(path) ?? 0) - 1;
  if (n <= 0) open.delete(path);
  else open.set(path, n);
}

export function openCount(path: string): number {
  return open.get(path) ?? 0;
}
