import type { JsonValue } from "../json/types.js";
import { pathSegment, pointerSegment } from "./paths.js";

/**
 * The nodes one run has reached, as parallel arrays indexed by node id: value, parent id and key
 * (member name or array index). Node 0 is the root.
 *
 * Why not one object per node: `$..*` over a large document reaches hundreds of thousands of
 * nodes, and that many small objects, all alive until the end, kept the garbage collector busy
 * for most of the run. Here a node costs three array slots and the ids passed between segments
 * are small integers, which the collector does not trace.
 */
export class NodeTable {
  readonly values: JsonValue[];
  readonly parents: number[] = [-1];
  readonly keys: (string | number)[] = [""];

  constructor(root: JsonValue) {
    this.values = [root];
  }

  add(value: JsonValue, parent: number, key: string | number): number {
    this.parents.push(parent);
    this.keys.push(key);
    return this.values.push(value) - 1;
  }
}

/**
 * Builds normalized paths and JSON Pointers for result nodes. Each node's strings are cached, so
 * siblings share their parent's prefix, and each distinct key is escaped once per run.
 */
export class PathBuilder {
  private readonly paths: (string | undefined)[];
  private readonly pointers: (string | undefined)[];
  private readonly pathSegments = new Map<string, string>();
  private readonly pointerSegments = new Map<string, string>();
  private readonly chain: number[] = [];

  constructor(private readonly table: NodeTable) {
    // Sized up front: writing far past the end would turn the arrays into slow dictionaries.
    this.paths = new Array(table.values.length);
    this.pointers = new Array(table.values.length);
    this.paths[0] = "$";
    this.pointers[0] = "";
  }

  /** Resolves node `id`; read the result with path(id) and pointer(id). Iterative, for deep documents. */
  resolve(id: number): void {
    if (this.paths[id] !== undefined) return;
    const { parents, keys } = this.table;
    const chain = this.chain;
    chain.length = 0;
    let cursor = id;
    while (this.paths[cursor] === undefined) {
      chain.push(cursor);
      cursor = parents[cursor]!;
    }
    let path = this.paths[cursor]!;
    let pointer = this.pointers[cursor]!;
    for (let i = chain.length - 1; i >= 0; i--) {
      const node = chain[i]!;
      const key = keys[node]!;
      path += this.pathSegment(key);
      pointer += this.pointerSegment(key);
      this.paths[node] = path;
      this.pointers[node] = pointer;
    }
  }

  path(id: number): string {
    return this.paths[id]!;
  }

  pointer(id: number): string {
    return this.pointers[id]!;
  }

  private pathSegment(key: string | number): string {
    if (typeof key === "number") return `[${key}]`;
    let segment = this.pathSegments.get(key);
    if (segment === undefined) {
      segment = pathSegment(key);
      this.pathSegments.set(key, segment);
    }
    return segment;
  }

  private pointerSegment(key: string | number): string {
    if (typeof key === "number") return `/${key}`;
    let segment = this.pointerSegments.get(key);
    if (segment === undefined) {
      segment = pointerSegment(key);
      this.pointerSegments.set(key, segment);
    }
    return segment;
  }
}
