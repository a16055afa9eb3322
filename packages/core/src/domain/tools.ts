import { NotFoundError, ValidationError } from "../errors.js";
import type { JsonObject, JsonValue } from "../json/types.js";
import type { StoredRecord } from "../spi/types.js";
import { checkCondition } from "../spi/tx-buffer.js";
import { validateId } from "../validation.js";
import { COLLECTION } from "./collections.js";
import { jsonSchemaProblems } from "./json-schema-check.js";
import { ownCondition } from "./condition.js";
import { type DomainContext, type Plan, findRecord, found, own } from "./context.js";
import { listPage } from "./paging.js";
import type { ToolsApi } from "./store-api.js";
import type { Condition, ListOptionsBasic, Page, Tool, ToolDescriptor } from "./types.js";

function toTool(r: StoredRecord): Tool {
  return { ...(r.value as unknown as Omit<Tool, "revision">), revision: r.revision };
}

function checkDescriptor(d: ToolDescriptor): void {
  if (typeof d !== "object" || d === null || Array.isArray(d))
    throw new ValidationError("a tool descriptor is an object", { details: { issues: ["not an object"] } });
  // A missing name is a malformed descriptor (E_VALIDATION); a name that is there but unusable as
  // an id is E_INVALID_PATH, as for every id.
  if (typeof d.name !== "string") {
    const issue = d.name === undefined ? 'a tool descriptor needs a "name"' : `"name" must be a string, got ${typeof d.name}`;
    throw new ValidationError(`invalid tool descriptor: ${issue}`, { details: { issues: [issue] } });
  }
  validateId(d.name, "tool name");
  const issues: string[] = [];
  if (d.description !== undefined && typeof d.description !== "string") issues.push("description must be a string");
  if (d.command !== undefined && typeof d.command !== "string") issues.push("command must be a string");
  if (d.inputSchema !== undefined) {
    for (const problem of jsonSchemaProblems(d.inputSchema as JsonValue, "inputSchema"))
      issues.push(`${problem} (inputSchema must be a JSON Schema)`);
  }
  if (d.metadata !== undefined && (typeof d.metadata !== "object" || d.metadata === null || Array.isArray(d.metadata)))
    issues.push("metadata must be an object");
  if (issues.length > 0) throw new ValidationError(`invalid tool "${d.name}": ${issues.join("; ")}`, { details: { issues } });
}

/** The tools registry: tool name → descriptor. */
export class Tools implements ToolsApi {
  constructor(private readonly ctx: DomainContext) {}

  /** Registers or replaces a tool (pass `{ ifAbsent: true }` to refuse replacing). */
  register(descriptor: ToolDescriptor, condition?: Condition): Promise<Tool> {
    condition = ownCondition(condition);
    return this.ctx.run("tools.register", this.planRegister(descriptor, condition), condition, [descriptor]);
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planRegister(descriptor: ToolDescriptor, condition?: Condition): Plan<Tool> {
    condition = ownCondition(condition);
    // Copied first and the copy checked: what is stored is exactly what passed the checks.
    const d = own(descriptor as unknown as JsonObject, this.ctx.limits) as unknown as ToolDescriptor;
    checkDescriptor(d);
    return (tx, now) => {
      const current = tx.get(COLLECTION.tools, d.name);
      checkCondition(COLLECTION.tools, d.name, current?.revision ?? 0, condition);
      const registeredAt = (current?.value as { registeredAt?: string } | undefined)?.registeredAt ?? now;
      const value = { ...d, registeredAt, updatedAt: now };
      const revision = tx.put(COLLECTION.tools, d.name, value as unknown as JsonObject);
      return { ...value, revision };
    };
  }

  async get(name: string): Promise<Tool> {
    return found(await this.find(name), `tool "${name}" is not registered`, { tool: name });
  }

  find(name: string): Promise<Tool | undefined> {
    return findRecord(this.ctx, "tools.get", COLLECTION.tools, name, "tool name", toTool);
  }

  /** Tools in name order. */
  list(options: ListOptionsBasic = {}): Promise<Page<Tool>> {
    return this.ctx.read("tools.list", () =>
      listPage(this.ctx.adapter, COLLECTION.tools, {
        index: undefined,
        prefix: undefined,
        reverse: false,
        limit: options.limit ?? 100,
        cursor: options.cursor,
        map: toTool,
        position: (t) => ({ key: t.name, id: t.name }),
      }),
    );
  }

  /** Removes a tool; E_NOT_FOUND if it was not registered. */
  unregister(name: string, condition?: Condition): Promise<boolean> {
    condition = ownCondition(condition);
    return this.ctx.run("tools.unregister", this.planUnregister(name, condition), condition, [name]);
  }

  /** @internal A plan for `run` and for batches; stripped from the published types. */
  planUnregister(name: string, condition?: Condition): Plan<boolean> {
    condition = ownCondition(condition);
    validateId(name, "tool name");
    return (tx) => {
      if (!tx.delete(COLLECTION.tools, name, condition ?? {})) {
        throw new NotFoundError(`tool "${name}" is not registered`, { details: { tool: name } });
      }
      return true;
    };
  }
}
