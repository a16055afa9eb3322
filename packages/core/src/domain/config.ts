import { ConfigError } from "../errors.js";
import type { JsonObject, JsonValue } from "../json/types.js";
import { checkCondition } from "../spi/tx-buffer.js";
import { validateId } from "../validation.js";
import { COLLECTION } from "./collections.js";
import { BUILTIN_CONFIG_SCHEMA } from "./config-schema.js";
import { ownCondition } from "./condition.js";
import { type DomainContext, type Plan, findRecord, found, own } from "./context.js";
import type { ProjectConfigsApi } from "./store-api.js";
import { listPage } from "./paging.js";
import type { Condition, ConfigRecord, ListOptionsBasic, Page } from "./types.js";

/** How project configs are validated. */
export interface ConfigSchemaOptions {
  /** A JSON Schema (2020-12). */
  schema: JsonObject;
  /** `extend` (default): a config must satisfy the built-in schema and this one. `replace`: only this one. */
  mode?: "extend" | "replace";
}

type Check = (config: JsonValue) => string[];

// The deepest messages say what is wrong; these wrappers only repeat that a child failed.
const WRAPPER = /^Property .* does not match (additional properties )?schema\.$|^Items did not match schema\.$|^Instance does not match/;

/** Compiles the validator once per store, lazily: commands that never touch config never load it. */
async function compile(options: ConfigSchemaOptions | undefined): Promise<Check> {
  const { Validator } = await import("@cfworker/json-schema");
  const schemas: JsonObject[] = [];
  if (options === undefined || options.mode !== "replace") schemas.push(BUILTIN_CONFIG_SCHEMA);
  if (options !== undefined) schemas.push(options.schema);
  const validators = schemas.map((s) => new Validator(s as never, "2020-12", false));
  return (config) => {
    const issues: string[] = [];
    if (typeof config !== "object" || config === null || Array.isArray(config)) issues.push("/: a project config must be a JSON object");
    for (const v of validators) {
      const r = v.validate(config);
      for (const e of r.errors) if (!WRAPPER.test(e.error)) issues.push(`${e.instanceLocation.replace(/^#/, "") || "/"}: ${e.error}`);
    }
    return [...new Set(issues)];
  };
}

/** Project configs: one document per project, validated by a schema so a bad config never lands. */
export class ProjectConfigs implements ProjectConfigsApi {
  private check: Promise<Check> | undefined;

  constructor(
    private readonly ctx: DomainContext,
    private readonly schema_: ConfigSchemaOptions | undefined,
  ) {}

  private validator(): Promise<Check> {
    this.check ??= compile(this.schema_);
    return this.check;
  }

  /** The validation's messages for a config; empty when it is valid. */
  async validate(config: JsonValue): Promise<string[]> {
    return (await this.validator())(config);
  }

  /** The effective schema: the built-in one, `allOf` it and the caller's (`extend`), or the caller's alone (`replace`). */
  async schema(): Promise<JsonObject> {
    if (this.schema_ === undefined) return BUILTIN_CONFIG_SCHEMA;
    if (this.schema_.mode === "replace") return this.schema_.schema;
    return { allOf: [BUILTIN_CONFIG_SCHEMA, this.schema_.schema] };
  }

  /** The project's config, or E_NOT_FOUND. */
  async get(project: string): Promise<ConfigRecord> {
    return found(await this.find(project), `project "${project}" has no config`, { project });
  }

  find(project: string): Promise<ConfigRecord | undefined> {
    return findRecord(this.ctx, "config.get", COLLECTION.config, project, "project", (r) => ({
      project,
      config: r.value as JsonObject,
      revision: r.revision,
    }));
  }

  /** Replaces the project's config after validating it; E_CONFIG with the messages if invalid. */
  async set(project: string, config: JsonObject, condition?: Condition): Promise<ConfigRecord> {
    condition = ownCondition(condition);
    // The request as called: planning awaits the validator, and the caller may change its object meanwhile.
    const request = condition?.idempotencyKey === undefined ? undefined : JSON.parse(JSON.stringify([project, config]));
    return this.ctx.run("config.set", await this.planSet(project, config, condition), condition, request);
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  async planSet(project: string, config: JsonObject, condition?: Condition): Promise<Plan<ConfigRecord>> {
    condition = ownCondition(condition);
    validateId(project, "project");
    // Copied before the (asynchronous) validation: the caller may change its object meanwhile.
    const value = own(config, this.ctx.limits);
    const issues = await this.validate(value);
    if (issues.length > 0) {
      throw new ConfigError(`invalid config for project "${project}": ${issues.join("; ")}`, { details: { project, issues } });
    }
    return (tx) => {
      const current = tx.get(COLLECTION.config, project);
      checkCondition(COLLECTION.config, project, current?.revision ?? 0, condition);
      const revision = tx.put(COLLECTION.config, project, value);
      return { project, config: value, revision };
    };
  }

  /** Every project's config, in project order. */
  list(options: ListOptionsBasic = {}): Promise<Page<ConfigRecord>> {
    return this.ctx.read("config.list", () =>
      listPage(this.ctx.adapter, COLLECTION.config, {
        index: undefined,
        prefix: undefined,
        reverse: false,
        limit: options.limit ?? 100,
        cursor: options.cursor,
        map: (r) => ({ project: r.id, config: r.value as JsonObject, revision: r.revision }),
        position: (c) => ({ key: c.project, id: c.project }),
      }),
    );
  }

  /** Deletes the project's config; false if there was none. */
  delete(project: string, condition?: Condition): Promise<boolean> {
    condition = ownCondition(condition);
    return this.ctx.run("config.delete", this.planDelete(project, condition), condition, [project]);
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planDelete(project: string, condition?: Condition): Plan<boolean> {
    condition = ownCondition(condition);
    validateId(project, "project");
    return (tx) => tx.delete(COLLECTION.config, project, condition ?? {});
  }
}
