import { InvalidQueryError } from "../errors.js";
import type { JsonValue } from "../json/types.js";
import type { WorkMeter } from "./values.js";

/** Resource limits of one query run. */
export interface QueryLimitsOptions {
  /**
   * Nodes visited before the query is aborted. A node is visited each time a selector examines
   * it, each time the descendant segment (`..`) walks over it (scalars included), and for each
   * element that `==` compares and each member that `length()` counts, sub-queries of filters
   * included; each selector of a union beyond the first, each operand of `&&`/`||` beyond the
   * first and each step of a long singular query counts one more; string work (`match`,
   * `search`, `length`, `<` on strings) counts one visit per 8 characters, more for a large
   * regular expression. Default {@link DEFAULT_MAX_NODES}.
   */
  maxNodes?: number;
  /**
   * Wall-clock backstop in milliseconds, checked every {@link CLOCK_CHECK_EVERY} visits and after
   * every regular expression. Default {@link DEFAULT_MAX_MILLIS}.
   */
  maxMillis?: number;
}

/**
 * Default node budget: `$..name` over a 1 MB document visits ~35,000; a query aborted at the
 * limit has held the event loop ~10 ms on this project's 2-core reference machine (see
 * docs/query-engine.md), far inside the 50 ms the test plan allows.
 */
export const DEFAULT_MAX_NODES = 100_000;
/**
 * Default wall-clock backstop. The node budget is the primary, deterministic bound (a query
 * aborted by it has run ~10 ms); the clock catches work the count underrates. It is not lower
 * because on a busy machine a legitimate cold query (a CLI hook's only one) can take a few tens
 * of milliseconds, and aborting it would be a wrong answer to a fair question.
 */
export const DEFAULT_MAX_MILLIS = 40;
/**
 * How many visits pass between two reads of the clock. Every unit of work is charged, so 64
 * visits are microseconds of work; a large charge (a long array about to be compared) reads the
 * clock at once.
 */
export const CLOCK_CHECK_EVERY = 64;

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new InvalidQueryError(`query limit ${name} must be a positive finite number, got ${String(value)}`, {
      details: { reason: "options", limit: name },
    });
  }
  return value;
}

/** The state of one run: the document root and what it has spent of its budget. */
export class QueryContext implements WorkMeter {
  readonly maxNodes: number;
  readonly maxMillis: number;
  visits = 0;
  private nextCheck: number;
  private readonly deadline: number;

  constructor(
    readonly root: JsonValue,
    readonly expression: string,
    limits: QueryLimitsOptions | undefined,
  ) {
    this.maxNodes = checkLimit("maxNodes", limits?.maxNodes, DEFAULT_MAX_NODES);
    this.maxMillis = checkLimit("maxMillis", limits?.maxMillis, DEFAULT_MAX_MILLIS);
    this.deadline = performance.now() + this.maxMillis;
    this.nextCheck = Math.min(CLOCK_CHECK_EVERY, this.maxNodes + 1);
  }

  /** Counts one visited node; aborts the query when a limit is reached. */
  visit(): void {
    if (++this.visits >= this.nextCheck) this.check();
  }

  /** Counts work worth `units` visits (rounded up), before it is done. */
  charge(units: number): void {
    this.visits += Math.ceil(units);
    if (this.visits >= this.nextCheck) this.check();
  }

  /** Reads the clock now (after work that visit() does not see, such as a regular expression). */
  checkClock(): void {
    if (performance.now() > this.deadline) this.abort("maxMillis", this.maxMillis, `ran longer than ${this.maxMillis} ms`);
  }

  refuse(limit: string, max: number, what: string): never {
    throw new InvalidQueryError(`JSONPath query refused: ${what} (limit ${limit}=${max}): ${this.expression}`, {
      details: { reason: "limit", limit, max, visits: this.visits, expression: this.expression },
    });
  }

  private check(): void {
    if (this.visits > this.maxNodes) this.abort("maxNodes", this.maxNodes, `visited more than ${this.maxNodes} nodes`);
    this.checkClock();
    this.nextCheck = Math.min(this.visits + CLOCK_CHECK_EVERY, this.maxNodes + 1);
  }

  private abort(limit: string, max: number, what: string): never {
    throw new InvalidQueryError(
      `JSONPath query aborted: it ${what} (limit ${limit}=${max}); narrow the query or raise the limit: ${this.expression}`,
      { details: { reason: "limit", limit, max, visits: this.visits, expression: this.expression } },
    );
  }
}
