import { InvalidQueryError } from "../errors.js";
import type { JsonValue } from "../json/types.js";
import type { QueryAst } from "./ast.js";
import { QueryContext, type QueryLimitsOptions } from "./budget.js";
import { singularSteps, walkSingular } from "./filter.js";
import { NodeTable, PathBuilder } from "./location.js";
import { LruCache } from "./lru-cache.js";
import { parseQuery } from "./parser.js";
import { formatPath, formatPointer } from "./paths.js";
import { compileSegments, runLocations } from "./segments.js";
import { NOTHING } from "./values.js";

/** One node of a query's result. */
export interface QueryNode {
  /** RFC 9535 normalized path, e.g. `$['a'][0]`. */
  readonly path: string;
  /** RFC 6901 JSON Pointer of the same node, e.g. `/a/0` ("" for the root). */
  readonly pointer: string;
  /** The node's value: the document's own object, not a copy. */
  readonly value: JsonValue;
}

export interface CompiledQuery {
  readonly expression: string;
  /** Runs the query; throws InvalidQueryError (details.reason "limit") if a limit is reached. */
  run(document: JsonValue, limits?: QueryLimitsOptions): QueryNode[];
}

/** How many compiled queries {@link compileQuery} keeps, least recently used evicted first. */
export const QUERY_CACHE_SIZE = 1000;
/** Longer expressions are compiled every time rather than cached, so the cache's memory is bounded. */
export const MAX_CACHED_EXPRESSION_LENGTH = 4096;

const cache = new LruCache<string, CompiledQuery>(QUERY_CACHE_SIZE);

/**
 * Parses an RFC 9535 JSONPath query (syntax errors throw InvalidQueryError naming the character
 * offset). Compiled queries are cached by expression, so a repeated query is not re-parsed and
 * the same object is returned.
 */
export function compileQuery(expression: string): CompiledQuery {
  const cached = cache.get(expression);
  if (cached !== undefined) return cached;
  const compiled = compile(expression);
  if (expression.length <= MAX_CACHED_EXPRESSION_LENGTH) cache.set(expression, compiled);
  return compiled;
}

/** Compiles (or takes from the cache) and runs `expression` on `document`. */
export function runQuery(document: JsonValue, expression: string, limits?: QueryLimitsOptions): QueryNode[] {
  return compileQuery(expression).run(document, limits);
}

/** True if `text` is meant as a JSONPath query (it starts with "$"), as opposed to a JSON Pointer. */
export function isJsonPath(text: string): boolean {
  return text.startsWith("$");
}

function compile(expression: string): CompiledQuery {
  if (typeof expression !== "string") {
    throw new InvalidQueryError(`a JSONPath query must be a string, got ${typeof expression}`, {
      details: { reason: "syntax", offset: 0 },
    });
  }
  const ast = parseQuery(expression);
  return ast.singular ? new SingularQuery(expression, ast) : new GeneralQuery(expression, ast);
}

/**
 * The fast path for `$.a.b`, `$.a[0]` and the like: a direct walk, at most one result, and a path
 * computed at compile time (unless a negative index makes it depend on the document).
 */
class SingularQuery implements CompiledQuery {
  private readonly steps: (string | number)[];
  private readonly path: string | undefined;
  private readonly pointer: string | undefined;

  constructor(
    readonly expression: string,
    ast: QueryAst,
  ) {
    this.steps = singularSteps(ast);
    const fixed = this.steps.every((step) => typeof step === "string" || step >= 0);
    this.path = fixed ? formatPath(this.steps) : undefined;
    this.pointer = fixed ? formatPointer(this.steps) : undefined;
  }

  run(document: JsonValue, limits?: QueryLimitsOptions): QueryNode[] {
    // The walk is bounded by the query's length, so limits need only be valid, not counted.
    if (limits !== undefined) new QueryContext(document, this.expression, limits);
    if (this.path !== undefined) {
      const value = walkSingular(document, this.steps);
      return value === NOTHING ? [] : [{ path: this.path, pointer: this.pointer!, value }];
    }
    return this.runResolvingIndexes(document);
  }

  private runResolvingIndexes(document: JsonValue): QueryNode[] {
    const keys: (string | number)[] = [];
    let current = document;
    for (const step of this.steps) {
      if (typeof step === "number" && Array.isArray(current)) {
        const index = step < 0 ? current.length + step : step;
        if (index < 0 || index >= current.length) return [];
        keys.push(index);
        current = current[index]!;
        continue;
      }
      const next = walkSingular(current, [step]);
      if (next === NOTHING) return [];
      keys.push(step);
      current = next;
    }
    return [{ path: formatPath(keys), pointer: formatPointer(keys), value: current }];
  }
}

class GeneralQuery implements CompiledQuery {
  private readonly segments;

  constructor(
    readonly expression: string,
    ast: QueryAst,
  ) {
    this.segments = compileSegments(ast.segments);
  }

  run(document: JsonValue, limits?: QueryLimitsOptions): QueryNode[] {
    const cx = new QueryContext(document, this.expression, limits);
    const table = new NodeTable(document);
    const found = runLocations(this.segments, table, cx);
    const paths = new PathBuilder(table);
    const nodes: QueryNode[] = new Array(found.length);
    for (let i = 0; i < found.length; i++) {
      const id = found[i]!;
      paths.resolve(id);
      nodes[i] = { path: paths.path(id), pointer: paths.pointer(id), value: table.values[id]! };
      // Building paths is work too: long result lists count against the clock.
      if ((i & 1023) === 1023) cx.checkClock();
    }
    return nodes;
  }
}
