import type { JsonValue } from "../json/types.js";
import type { Segment, Selector } from "./ast.js";
import type { QueryContext } from "./budget.js";
import { compileLogical, type Predicate } from "./filter.js";
import type { NodeTable } from "./location.js";
import { hasOwnKey, isObject } from "./values.js";

/**
 * Selectors and segments, compiled to objects with two entry points: `locs` records where each
 * node came from in a NodeTable (for the top-level query, whose results carry paths) and `values`
 * does not (for queries inside filters, where only values matter).
 *
 * Member access is always guarded by an own-property test, so `__proto__`, `constructor` or
 * `prototype` select a member only if the document really has one by that name.
 */
interface CompiledSelector {
  /** Adds to `table` and to `out` the children of node `parent` that this selector picks. */
  locs(parent: number, out: number[], cx: QueryContext, table: NodeTable): void;
  /** Appends to `out` the values of the children of `value` that this selector picks. */
  values(value: JsonValue, out: JsonValue[], cx: QueryContext): void;
}

export interface CompiledSegment {
  locs(inputs: number[], cx: QueryContext, table: NodeTable): number[];
  values(inputs: JsonValue[], cx: QueryContext): JsonValue[];
}

class NameSelector implements CompiledSelector {
  constructor(private readonly name: string) {}

  locs(parent: number, out: number[], cx: QueryContext, table: NodeTable): void {
    const value = table.values[parent]!;
    if (isObject(value) && hasOwnKey(value, this.name)) {
      cx.visit();
      out.push(table.add(value[this.name]!, parent, this.name));
    }
  }

  values(value: JsonValue, out: JsonValue[], cx: QueryContext): void {
    if (isObject(value) && hasOwnKey(value, this.name)) {
      cx.visit();
      out.push(value[this.name]!);
    }
  }
}

class IndexSelector implements CompiledSelector {
  constructor(private readonly index: number) {}

  private resolve(value: JsonValue): number {
    if (!Array.isArray(value)) return -1;
    const i = this.index < 0 ? value.length + this.index : this.index;
    return i < value.length ? i : -1;
  }

  locs(parent: number, out: number[], cx: QueryContext, table: NodeTable): void {
    const value = table.values[parent]!;
    const i = this.resolve(value);
    if (i >= 0) {
      cx.visit();
      out.push(table.add((value as JsonValue[])[i]!, parent, i));
    }
  }

  values(value: JsonValue, out: JsonValue[], cx: QueryContext): void {
    const i = this.resolve(value);
    if (i >= 0) {
      cx.visit();
      out.push((value as JsonValue[])[i]!);
    }
  }
}

// Own members by for-in plus an own-property guard rather than Object.keys: no array per
// object, and a polluted Object.prototype (by other code) still contributes nothing.
class WildcardSelector implements CompiledSelector {
  locs(parent: number, out: number[], cx: QueryContext, table: NodeTable): void {
    const value = table.values[parent]!;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        cx.visit();
        out.push(table.add(value[i]!, parent, i));
      }
    } else if (isObject(value)) {
      for (const key in value) {
        if (!hasOwnKey(value, key)) continue;
        cx.visit();
        out.push(table.add(value[key]!, parent, key));
      }
    }
  }

  values(value: JsonValue, out: JsonValue[], cx: QueryContext): void {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        cx.visit();
        out.push(value[i]!);
      }
    } else if (isObject(value)) {
      for (const key in value) {
        if (!hasOwnKey(value, key)) continue;
        cx.visit();
        out.push(value[key]!);
      }
    }
  }
}

/** RFC 9535 §2.3.4.2: the indexes a slice selects, in order, for an array of `length`. */
export function sliceIndexes(
  length: number,
  start: number | undefined,
  end: number | undefined,
  step: number | undefined,
  visit: (index: number) => void,
): void {
  const s = step ?? 1;
  if (s === 0) return;
  const normalize = (i: number) => (i >= 0 ? i : length + i);
  if (s > 0) {
    const lower = Math.min(Math.max(normalize(start ?? 0), 0), length);
    const upper = Math.min(Math.max(normalize(end ?? length), 0), length);
    for (let i = lower; i < upper; i += s) visit(i);
  } else {
    const upper = Math.min(Math.max(normalize(start ?? length - 1), -1), length - 1);
    const lower = Math.min(Math.max(normalize(end ?? -length - 1), -1), length - 1);
    for (let i = upper; lower < i; i += s) visit(i);
  }
}

class SliceSelector implements CompiledSelector {
  constructor(
    private readonly start: number | undefined,
    private readonly end: number | undefined,
    private readonly step: number | undefined,
  ) {}

  locs(parent: number, out: number[], cx: QueryContext, table: NodeTable): void {
    const value = table.values[parent]!;
    if (!Array.isArray(value)) return;
    sliceIndexes(value.length, this.start, this.end, this.step, (i) => {
      cx.visit();
      out.push(table.add(value[i]!, parent, i));
    });
  }

  values(value: JsonValue, out: JsonValue[], cx: QueryContext): void {
    if (!Array.isArray(value)) return;
    sliceIndexes(value.length, this.start, this.end, this.step, (i) => {
      cx.visit();
      out.push(value[i]!);
    });
  }
}

class FilterSelector implements CompiledSelector {
  constructor(private readonly test: Predicate) {}

  locs(parent: number, out: number[], cx: QueryContext, table: NodeTable): void {
    const value = table.values[parent]!;
    const test = this.test;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        cx.visit();
        if (test(value[i]!, cx)) out.push(table.add(value[i]!, parent, i));
      }
    } else if (isObject(value)) {
      for (const key in value) {
        if (!hasOwnKey(value, key)) continue;
        cx.visit();
        if (test(value[key]!, cx)) out.push(table.add(value[key]!, parent, key));
      }
    }
  }

  values(value: JsonValue, out: JsonValue[], cx: QueryContext): void {
    const test = this.test;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        cx.visit();
        if (test(value[i]!, cx)) out.push(value[i]!);
      }
    } else if (isObject(value)) {
      for (const key in value) {
        if (!hasOwnKey(value, key)) continue;
        cx.visit();
        if (test(value[key]!, cx)) out.push(value[key]!);
      }
    }
  }
}

function compileSelector(selector: Selector): CompiledSelector {
  switch (selector.kind) {
    case "name":
      return new NameSelector(selector.name);
    case "index":
      return new IndexSelector(selector.index);
    case "wildcard":
      return new WildcardSelector();
    case "slice":
      return new SliceSelector(selector.start, selector.end, selector.step);
    case "filter":
      return new FilterSelector(compileLogical(selector.expr));
  }
}

/**
 * What applying a union of selectors to one node costs beyond the node's own visit: a selector
 * that picks nothing (a missing name, an index of a non-array) charges no visit itself, so a long
 * union list would otherwise do thousands of lookups per visit.
 */
function unionCost(selectors: readonly CompiledSelector[]): number {
  return selectors.length - 1;
}

class ChildSegment implements CompiledSegment {
  private readonly extra: number;

  constructor(private readonly selectors: readonly CompiledSelector[]) {
    this.extra = unionCost(selectors);
  }

  locs(inputs: number[], cx: QueryContext, table: NodeTable): number[] {
    const out: number[] = [];
    for (const input of inputs) {
      if (this.extra > 0) cx.charge(this.extra);
      for (const selector of this.selectors) selector.locs(input, out, cx, table);
    }
    return out;
  }

  values(inputs: JsonValue[], cx: QueryContext): JsonValue[] {
    const out: JsonValue[] = [];
    for (const input of inputs) {
      if (this.extra > 0) cx.charge(this.extra);
      for (const selector of this.selectors) selector.values(input, out, cx);
    }
    return out;
  }
}

const isContainer = (value: JsonValue): boolean => typeof value === "object" && value !== null;

/**
 * `..`: applies the selectors to each input and to all its descendants, in document order
 * (a node before its children). An explicit stack instead of recursion, so that depth costs
 * memory, not call stack. Scalars are not pushed: no selector picks anything from them.
 * Children are pushed in reverse so that they pop in document order.
 *
 * Every child examined is charged before the loop that examines it, scalars included: an array
 * of millions of numbers is millions of visits, not one. A container is charged once, as a
 * child (an input, once, as itself), not again when it is popped.
 */
class DescendantSegment implements CompiledSegment {
  private readonly extra: number;

  constructor(private readonly selectors: readonly CompiledSelector[]) {
    this.extra = unionCost(selectors);
  }

  locs(inputs: number[], cx: QueryContext, table: NodeTable): number[] {
    const out: number[] = [];
    const stack: number[] = [];
    const values = table.values;
    for (const input of inputs) {
      if (!isContainer(values[input]!)) continue;
      cx.visit();
      stack.push(input);
      while (stack.length > 0) {
        const node = stack.pop()!;
        if (this.extra > 0) cx.charge(this.extra);
        for (const selector of this.selectors) selector.locs(node, out, cx, table);
        const value = values[node]!;
        if (Array.isArray(value)) {
          cx.charge(value.length);
          for (let i = value.length - 1; i >= 0; i--) {
            if (isContainer(value[i]!)) stack.push(table.add(value[i]!, node, i));
          }
        } else {
          const object = value as { [key: string]: JsonValue };
          const keys = Object.keys(object);
          cx.charge(keys.length);
          for (let i = keys.length - 1; i >= 0; i--) {
            const key = keys[i]!;
            const child = object[key]!;
            if (isContainer(child)) stack.push(table.add(child, node, key));
          }
        }
      }
    }
    return out;
  }

  values(inputs: JsonValue[], cx: QueryContext): JsonValue[] {
    const out: JsonValue[] = [];
    const stack: JsonValue[] = [];
    for (const input of inputs) {
      if (!isContainer(input)) continue;
      cx.visit();
      stack.push(input);
      while (stack.length > 0) {
        const value = stack.pop()!;
        if (this.extra > 0) cx.charge(this.extra);
        for (const selector of this.selectors) selector.values(value, out, cx);
        if (Array.isArray(value)) {
          cx.charge(value.length);
          for (let i = value.length - 1; i >= 0; i--) if (isContainer(value[i]!)) stack.push(value[i]!);
        } else {
          const object = value as { [key: string]: JsonValue };
          const keys = Object.keys(object);
          cx.charge(keys.length);
          for (let i = keys.length - 1; i >= 0; i--) {
            const child = object[keys[i]!]!;
            if (isContainer(child)) stack.push(child);
          }
        }
      }
    }
    return out;
  }
}

export function compileSegments(segments: readonly Segment[]): CompiledSegment[] {
  return segments.map((segment) => {
    const selectors = segment.selectors.map(compileSelector);
    return segment.descendant ? new DescendantSegment(selectors) : new ChildSegment(selectors);
  });
}

/** Runs the segments from the root (node 0 of `table`); returns the ids of the result nodes. */
export function runLocations(segments: readonly CompiledSegment[], table: NodeTable, cx: QueryContext): number[] {
  let current = [0];
  for (const segment of segments) {
    current = segment.locs(current, cx, table);
    if (current.length === 0) break;
  }
  return current;
}

export function runValues(segments: readonly CompiledSegment[], start: JsonValue, cx: QueryContext): JsonValue[] {
  let current = [start];
  for (const segment of segments) {
    current = segment.values(current, cx);
    if (current.length === 0) break;
  }
  return current;
}
