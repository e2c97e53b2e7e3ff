import { paginate } from "../pagination.js";
import { segment, type RequestOptions } from "../Transport.js";
import type { Page, Trigger, TriggerInput, TriggerPatch } from "../types.js";
import type { ClientContext } from "./context.js";

/** API triggers: `…/api/v1/triggers` and `…/folders/{folderKey}/triggers`. Every answer carries the `invokeUrl`. */
export class TriggersApi {
  constructor(private readonly ctx: ClientContext) {}

  /** The tenant's triggers, or one folder's. */
  list(filter: { folderKey?: string; cursor?: string } = {}, options: RequestOptions = {}): Promise<Page<Trigger>> {
    return this.ctx.transport.request("GET", "/triggers", { ...options, query: { folderKey: filter.folderKey, cursor: filter.cursor } });
  }

  iterate(filter: { folderKey?: string } = {}, options: RequestOptions = {}): AsyncGenerator<Trigger, void, undefined> {
    return paginate((cursor) => this.list({ ...filter, cursor }, options));
  }

  get(id: string, options: RequestOptions = {}): Promise<Trigger> {
    return this.ctx.transport.request("GET", `/triggers/${segment(id)}`, options);
  }

  /** The trigger with this slug (slugs are unique in the tenant), or null. */
  async bySlug(slug: string, options: RequestOptions = {}): Promise<Trigger | null> {
    for await (const trigger of this.iterate({}, options)) if (trigger.slug === slug) return trigger;
    return null;
  }

  create(folderKey: string, input: TriggerInput, options: RequestOptions = {}): Promise<Trigger> {
    return this.ctx.transport.request("POST", `/folders/${segment(folderKey)}/triggers`, { ...options, body: input });
  }

  update(id: string, patch: TriggerPatch, options: RequestOptions = {}): Promise<Trigger> {
    return this.ctx.transport.request("PATCH", `/triggers/${segment(id)}`, { ...options, body: patch });
  }

  delete(id: string, options: RequestOptions = {}): Promise<void> {
    return this.ctx.transport.request("DELETE", `/triggers/${segment(id)}`, options);
  }
}
