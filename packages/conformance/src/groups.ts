/** The clause groups, in the order they run; each name can be given to `skip`. */
export const CLAUSE_GROUPS = [
  "values",
  "revisions",
  "atomicity",
  "listing",
  "changes",
  "closed",
  "persistence",
  "durability",
  "compaction",
  "integrity",
  "id-traversal",
  "file-modes",
  "model-based",
  "domain-state",
  "domain-sessions",
  "domain-agents",
  "domain-config",
  "domain-tools",
  "domain-batch",
  "prototype-pollution",
  "query-safety",
  "query-limits",
  "lost-update",
  "dirty-read",
  "freshness",
  "open-under-write",
  "crash-loop",
  "disk-full",
  "permission-denied",
  "domain-multi-process",
] as const;

/** The groups a remote store target runs: they use only the domain API, never an adapter. */
export const DOMAIN_GROUPS: readonly ClauseGroup[] = [
  "domain-state",
  "domain-sessions",
  "domain-agents",
  "domain-config",
  "domain-tools",
  "domain-batch",
  "prototype-pollution",
  "query-safety",
  "query-limits",
  "domain-multi-process",
];

export type ClauseGroup = (typeof CLAUSE_GROUPS)[number];
