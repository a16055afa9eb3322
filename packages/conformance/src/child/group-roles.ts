import type { JsonValue } from "@statehouse/core";
import { GroupCommitter, openAdapterUrl } from "@statehouse/core/spi";
import type { ChildJob } from "../harness/job.js";
import { errorKind } from "../util/errors.js";
import type { Role } from "./spi-roles.js";

function num(job: ChildJob, name: string): number {
  const v = job.params[name];
  if (typeof v !== "number") throw new Error(`child parameter ${name} is missing`);
  return v;
}

/**
 * group-commit: `increments` increments of counter/c through a GroupCommitter, `concurrent` calls
 * in flight at a time (so that they group), each reporting the value it wrote and its sequence.
 */
const groupIncrement: Role = async (job, io) => {
  const a = await openAdapterUrl(job.url, job.adapterOptions);
  const committer = new GroupCommitter(a);
  io.emit({ t: "ready" });
  await io.waitFor("go");
  const total = num(job, "increments");
  const concurrent = num(job, "concurrent");
  const values: number[] = [];
  const sequences: number[] = [];
  const errors: string[] = [];
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      try {
        const { result, sequence } = await committer.transact((tx) => {
          const n = ((tx.get("counter", "c")?.value as { n?: number } | undefined)?.n ?? 0) + 1;
          tx.put("counter", "c", { n } as JsonValue);
          return n;
        });
        values.push(result);
        if (sequence !== undefined) sequences.push(sequence);
      } catch (err) {
        errors.push(errorKind(err));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrent }, worker));
  await a.close();
  return { acked: values.length, values, sequences, errors };
};

export const GROUP_ROLES: Record<string, Role> = { "group-increment": groupIncrement };
