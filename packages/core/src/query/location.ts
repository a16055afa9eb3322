import type { JsonValue } from "../json/types.js";
import { pathSegment, pointerSegment } from "./paths.js";

/**
 * A node during evaluation: its value and how it was reached. Paths are built only for nodes
 * that end up in the result, and each location caches its own so that siblings share the
 * parent's prefix.
 */
export class Location {
  path: string | undefined = undefined;
  pointer: string | undefined = undefined;

  constructor(
    readonly value: JsonValue,
    readonly parent: Location | null,
    readonly key: string | number,
  ) {}

  static root(value: JsonValue): Location {
    const loc = new Location(value, null, "");
    loc.path = "$";
    loc.pointer = "";
    return loc;
  }
}

/** Fills in `path` and `pointer` of `loc` and of its ancestors, iteratively (deep documents). */
export function resolveLocation(loc: Location): void {
  if (loc.path !== undefined) return;
  const chain: Location[] = [];
  let cursor: Location = loc;
  while (cursor.path === undefined) {
    chain.push(cursor);
    cursor = cursor.parent!;
  }
  let path = cursor.path;
  let pointer = cursor.pointer!;
  for (let i = chain.length - 1; i >= 0; i--) {
    const link = chain[i]!;
    path += pathSegment(link.key);
    pointer += pointerSegment(link.key);
    link.path = path;
    link.pointer = pointer;
  }
}
