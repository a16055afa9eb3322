import { registerAgentRules } from "./clauses/agent-rules.js";
import { registerAtomicity } from "./clauses/atomicity.js";
import { registerChanges } from "./clauses/changes.js";
import { registerCrashLoop } from "./clauses/crash-loop.js";
import { registerDomainRecords } from "./clauses/domain-records.js";
import { registerDomainPollution } from "./clauses/domain-pollution.js";
import { registerDomainQuery } from "./clauses/domain-query.js";
import { registerDomainState } from "./clauses/domain-state.js";
import { registerFaults } from "./clauses/faults.js";
import { registerFiles } from "./clauses/files.js";
import { registerGroupCommit } from "./clauses/group-commit.js";
import { registerDomainCatalog } from "./clauses/domain-catalog.js";
import { registerHistory } from "./clauses/history.js";
import { registerIdempotency } from "./clauses/idempotency.js";
import { registerLeases } from "./clauses/leases.js";
import { registerLifecycle } from "./clauses/lifecycle.js";
import { registerListing } from "./clauses/listing.js";
import { registerModelBased } from "./clauses/model-based.js";
import { registerDomainMultiProcess, registerMultiProcess } from "./clauses/multi-process.js";
import { registerOpenUnderWrite } from "./clauses/open-under-write.js";
import { registerRetention } from "./clauses/retention.js";
import { registerRevisions } from "./clauses/revisions.js";
import { registerValues } from "./clauses/values.js";
import { registerWatch } from "./clauses/watch.js";
import { type ConformanceSuiteOptions, resolveOptions } from "./options.js";
import { SuiteContext } from "./suite-context.js";

export { CLAUSE_GROUPS, DOMAIN_GROUPS, type ClauseGroup } from "./groups.js";
export type { ConformanceSizes, ConformanceSuiteOptions, ConformanceTestApi, ConformanceTestFn, RemoteStoreTarget } from "./options.js";
export type { DomainStore, DomainStoreOptions } from "./domain-api.js";
export { type SizeTable, sizeTable } from "./sizes.js";
export { CHILD_SCRIPT } from "./harness/child-process.js";
export { TEMPORARY_NAME } from "./util/fs-walk.js";

/**
 * Registers the statehouse conformance suite with your test framework: one `describe` named
 * `statehouse conformance: <name>`, holding a `describe` per clause group. Groups that need a
 * capability the adapter does not declare (or root, or a mount namespace) are skipped, each
 * with its reason printed and given to the framework's skip.
 */
export function runConformanceSuite(options: ConformanceSuiteOptions): void {
  const suite = new SuiteContext(resolveOptions(options));
  options.test.describe(`statehouse conformance: ${options.name}`, () => {
    options.test.afterAll?.(() => suite.dispose());
    registerValues(suite);
    registerRevisions(suite);
    registerAtomicity(suite);
    registerListing(suite);
    registerChanges(suite);
    registerLifecycle(suite);
    registerFiles(suite);
    registerModelBased(suite);
    registerDomainState(suite);
    registerDomainRecords(suite);
    registerDomainCatalog(suite);
    registerDomainPollution(suite);
    registerDomainQuery(suite);
    registerMultiProcess(suite);
    registerOpenUnderWrite(suite);
    registerCrashLoop(suite);
    registerFaults(suite);
    registerDomainMultiProcess(suite);
    registerWatch(suite);
    registerAgentRules(suite);
    registerLeases(suite);
    registerIdempotency(suite);
    registerHistory(suite);
    registerRetention(suite);
    registerGroupCommit(suite);
  });
}
