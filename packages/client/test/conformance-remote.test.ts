import { runConformanceSuite } from "@statehouse/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daemonTarget } from "./remote-target.js";

// The domain clauses of the published suite, through the daemon's API and the remote client, over
// each persistent adapter; the adapter-level groups skip, saying why.
const ADAPTERS: Record<string, (dir: string) => string> = {
  file: (dir) => `file:${dir}`,
  sqlite: (dir) => `sqlite:${dir}/store.db`,
  lmdb: (dir) => `lmdb:${dir}`,
};

const only = process.env.STATEHOUSE_REMOTE_ADAPTERS?.split(",");
for (const [name, storeUrl] of Object.entries(ADAPTERS)) {
  if (only !== undefined && !only.includes(name)) continue;
  runConformanceSuite({
    name: `remote client → daemon → ${name}`,
    test: { describe, it, expect, beforeAll, afterAll },
    storeUrl,
    remote: daemonTarget(),
  });
}
