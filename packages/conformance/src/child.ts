import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ChildIo } from "./child/io.js";
import { ROLES } from "./child/roles.js";
import { type ChildJob, JOB_ENV } from "./harness/job.js";
import { errorKind } from "./util/errors.js";

/**
 * The conformance suite's child process: spawned with `process.execPath` by the parent test, in
 * the test's working directory, so the adapter package and `childImports` resolve from the
 * application exactly as they would in a real program.
 */
async function importFromCwd(spec: string): Promise<void> {
  if (spec.startsWith(".") || isAbsolute(spec)) {
    await import(pathToFileURL(resolve(process.cwd(), spec)).href);
    return;
  }
  try {
    const require = createRequire(join(process.cwd(), "package.json"));
    await import(pathToFileURL(require.resolve(spec)).href);
  } catch {
    await import(spec);
  }
}

async function main(): Promise<void> {
  const io = new ChildIo();
  try {
    const raw = process.env[JOB_ENV];
    if (raw === undefined) throw new Error(`${JOB_ENV} is not set: this script is run by @statehouse/conformance`);
    const job = JSON.parse(raw) as ChildJob;
    for (const spec of job.childImports) await importFromCwd(spec);
    const role = ROLES[job.role];
    if (role === undefined) throw new Error(`unknown child role ${job.role}`);
    const result = await role(job, io);
    io.emit({ t: "result", ...result, unhandledRejections: io.unhandledRejections });
    process.exit(0);
  } catch (err) {
    io.emit({ t: "fatal", kind: errorKind(err), message: (err as Error)?.message ?? String(err), stack: (err as Error)?.stack });
    process.exit(1);
  }
}

void main();
