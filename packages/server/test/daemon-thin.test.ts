import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PACKAGES, alive, cli, http, scratch, startDaemon } from "./daemon-helpers.js";

// The daemon's side of the CLI's thin client (packages/cli/src/thin.ts): POST /v1/cli runs a domain
// command against the daemon's store, and refuses (fallback, nothing run) whatever needs the
// client's own process, names another store, or comes from another version.

const VERSION = (JSON.parse(readFileSync(join(PACKAGES, "cli", "package.json"), "utf8")) as { version: string }).version;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function setup() {
  const s = scratch("sh-thin-");
  cleanups.push(s.cleanup);
  const store = `file:${s.dir}/store`;
  const d = await startDaemon(store, [], { env: s.env });
  cleanups.unshift(() => {
    if (alive(d.info.pid)) process.kill(d.info.pid, "SIGKILL");
  });
  return { s, store, socket: { socket: d.info.socket } };
}

const request = (argv: string[], over: Record<string, unknown> = {}) => ({
  argv,
  cwd: "/",
  env: {},
  stdoutTty: false,
  stderrTty: false,
  version: VERSION,
  ...over,
});

describe("POST /v1/cli: the thin client's commands, run by the daemon", () => {
  it("runs a domain command against the daemon's store, with the client's output settings", async () => {
    const { store, socket } = await setup();
    const set = await http(socket, "POST", "/v1/cli", { body: request(["--store", store, "state", "set", "/a", "1"]) });
    expect(set.status).toBe(200);
    expect(JSON.parse(set.body)).toEqual({ status: 0, stdout: "set /a in global (revision 1)\n", stderr: "" });
    const missing = JSON.parse((await http(socket, "POST", "/v1/cli", { body: request(["--store", store, "state", "get", "/b"]) })).body);
    expect(missing).toEqual({ status: 3, stdout: "", stderr: 'statehouse: E_NOT_FOUND: nothing at "/b" in state document "global"\n' });
    // The client's terminal and colour settings decide the colours, not the daemon's.
    const coloured = JSON.parse(
      (await http(socket, "POST", "/v1/cli", { body: request(["--store", store, "state", "get", "/b"], { env: { FORCE_COLOR: "1" } }) }))
        .body,
    );
    expect(coloured.stderr).toContain("\x1b[31mstatehouse:\x1b[39m");
    const tty = JSON.parse(
      (
        await http(socket, "POST", "/v1/cli", {
          body: request(["--store", store, "state", "get", "/b"], { stderrTty: true, env: { NO_COLOR: "1" } }),
        })
      ).body,
    );
    expect(tty.stderr).not.toContain("\x1b[");
    // STATEHOUSE_STORE and the working directory name the store as the client sees it.
    const viaEnv = JSON.parse(
      (await http(socket, "POST", "/v1/cli", { body: request(["--json", "state", "get", "/a"], { env: { STATEHOUSE_STORE: store } }) }))
        .body,
    );
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ pointer: "/a", value: 1 });
  });

  it("refuses, running nothing, what the client must run itself", async () => {
    const { s, store, socket } = await setup();
    const batchFile = join(s.dir, "ops.json");
    writeFileSync(batchFile, '[{"op":"state.set","pointer":"/x","value":1}]');
    const cases: [string[], Record<string, unknown>, RegExp][] = [
      [["--store", store, "state", "set", "/x", "-"], {}, /stdin/],
      [["--store", store, "batch", batchFile], {}, /file/],
      [["--store", `file:${s.dir}/other`, "state", "set", "/x", "1"], {}, /another store/],
      [["--store", store, "state", "set", "/x", "1"], { version: "0.0.0-other" }, /version/],
      [["--store", store, "--no-daemon", "state", "set", "/x", "1"], {}, /not a domain operation/],
      [["--store", store, "export"], {}, /not a domain operation/],
      [["--store", store, "serve"], {}, /not a domain operation/],
      [["--store", store, "daemon", "stop"], {}, /not a domain operation/],
    ];
    for (const [argv, over, why] of cases) {
      const r = await http(socket, "POST", "/v1/cli", { body: request(argv, over) });
      expect(r.status, argv.join(" ")).toBe(200);
      expect(JSON.parse(r.body), argv.join(" ")).toEqual({ fallback: expect.stringMatching(why) });
    }
    // Nothing ran: the store has no /x, and the other store was never created.
    const get = await cli(["--no-daemon", "--store", store, "state", "get", "/x"], { env: s.env });
    expect(get.code, get.stderr).toBe(3);
    expect(() => readFileSync(join(s.dir, "other"))).toThrow();
    // The daemon still serves.
    expect((await http(socket, "GET", "/v1/health")).status).toBe(200);
  });

  it("bounds the request: a malformed or oversized command line is 422, nothing run", async () => {
    const { socket } = await setup();
    const bad = [
      request(Array.from({ length: 300 }, () => "x")),
      request(["state", "get", "x".repeat(70_000)]),
      request(["state", "get"], { env: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`V${i}`, "1"])) }),
      { argv: ["state", "get"] },
    ];
    for (const body of bad) {
      const r = await http(socket, "POST", "/v1/cli", { body });
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
    }
  });

  it("the CLI goes through it: output and exit statuses as the direct CLI's", async () => {
    const { s, store } = await setup();
    for (const args of [
      ["state", "incr", "/n"],
      ["--json", "state", "get"],
      ["--plain", "state", "get", "/n"],
      ["state", "get", "/zz"],
    ]) {
      const thin = await cli(["--store", store, ...args], { env: s.env });
      const direct = await cli(["--no-daemon", "--store", store, ...(args[1] === "incr" ? ["state", "get", "/n"] : args)], { env: s.env });
      if (args[1] !== "incr") expect({ ...thin }, args.join(" ")).toEqual({ ...direct });
      else expect(thin).toMatchObject({ code: 0, stdout: "1\n", stderr: "" });
    }
  });
});
