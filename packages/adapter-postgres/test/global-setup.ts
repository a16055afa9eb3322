import { type TestServer, startTestServer } from "@statehouse/adapter-postgres/testing";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { type PgTestTarget, TEMPLATE, clientConfig, withDatabase } from "./target.js";

async function makeTemplate(adminUrl: string): Promise<void> {
  const { openAdapter } = await import("@statehouse/adapter-postgres");
  const admin = new pg.Client(clientConfig(adminUrl));
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE}`);
    await admin.query(`CREATE DATABASE ${TEMPLATE}`);
  } finally {
    await admin.end();
  }
  // The template carries the current schema in `public`, so a test file's database starts migrated.
  const adapter = await openAdapter(withDatabase(adminUrl, TEMPLATE));
  await adapter.close();
}

/** Starts the server (or takes STATEHOUSE_PG_URL) and hands its URL to the test files. */
export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  const external = process.env.STATEHOUSE_PG_URL;
  let server: TestServer | undefined;
  let adminUrl: string;
  if (external !== undefined && external !== "") {
    adminUrl = external;
  } else {
    try {
      server = startTestServer();
    } catch (err) {
      const target: PgTestTarget = { skip: `no PostgreSQL server could be started: ${(err as Error).message.split("\n")[0]}` };
      project.provide("pg", target);
      return undefined;
    }
    adminUrl = server.url("postgres");
  }
  try {
    await makeTemplate(adminUrl);
  } catch (err) {
    server?.stop();
    throw err;
  }
  const target: PgTestTarget = { adminUrl, binDir: server?.binDir, ownServer: server !== undefined };
  project.provide("pg", target);
  return () => server?.stop();
}
