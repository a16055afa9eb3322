import type { ConformanceSizes } from "./options.js";

/** The numbers of TESTPLAN.md, per size. */
export interface SizeTable {
  /** lost-update: processes × increments each. */
  readonly lostUpdate: { readonly processes: number; readonly increments: number };
  /** crash loop rounds (4 writers killed per round). */
  readonly crashRounds: number;
  /** crash control: rounds tried until a corruption is seen. */
  readonly crashControlRounds: number;
  /** dirty read: aborted transactions by the writer. */
  readonly dirtyReadTransactions: number;
  /** freshness: write-then-read rounds between two processes. */
  readonly freshnessRounds: number;
  /**
   * open-under-write: writer processes, and how often another process opens and closes the store
   * meanwhile. An open can only hurt a commit that lands inside its few microseconds of opening:
   * against lmdb-js 3.5.6 with unflushed commits, 40 opens caught the lost commit in 3 runs of 10,
   * 400 opens in 6 of 6 (3 to 46 lost increments each).
   */
  readonly openUnderWrite: { readonly writers: number; readonly opens: number };
  /** model-based: fast-check runs. */
  readonly modelRuns: number;
  /** model-based: most commands in one run. */
  readonly modelCommands: number;
  /** prototype pollution: fuzzed domain operations. */
  readonly pollutionOperations: number;
  /** multi-process increments through the domain API: processes × increments each. */
  readonly domainIncrement: { readonly processes: number; readonly increments: number };
  /** Timeout of one clause, in milliseconds. */
  readonly clauseTimeoutMs: number;
}

const QUICK: SizeTable = {
  lostUpdate: { processes: 8, increments: 100 },
  crashRounds: 20,
  crashControlRounds: 20,
  dirtyReadTransactions: 100,
  freshnessRounds: 200,
  openUnderWrite: { writers: 2, opens: 400 },
  modelRuns: 200,
  modelCommands: 20,
  pollutionOperations: 10_000,
  domainIncrement: { processes: 4, increments: 50 },
  clauseTimeoutMs: 240_000,
};

const FULL: SizeTable = {
  lostUpdate: { processes: 50, increments: 200 },
  crashRounds: 1_000,
  crashControlRounds: 50,
  dirtyReadTransactions: 1_000,
  freshnessRounds: 2_000,
  openUnderWrite: { writers: 4, opens: 1_000 },
  modelRuns: 5_000,
  modelCommands: 40,
  pollutionOperations: 10_000,
  domainIncrement: { processes: 16, increments: 200 },
  clauseTimeoutMs: 4 * 3_600_000,
};

export function sizeTable(sizes: ConformanceSizes): SizeTable {
  return sizes === "full" ? FULL : QUICK;
}
