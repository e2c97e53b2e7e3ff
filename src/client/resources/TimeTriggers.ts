import { segment, type RequestOptions } from "../Transport.js";
import type { Page, TimeTrigger, TimeTriggerInput, TimeTriggerPatch, TimeTriggerPreview } from "../types.js";
import type { ClientContext } from "./context.js";

/** Time triggers (cron schedules that start jobs): `…/folders/{folderKey}/time-triggers` and `…/time-triggers/{id}`. */
export class TimeTriggersApi {
  constructor(private readonly ctx: ClientContext) {}

  /** A folder's time triggers, by name, each with its `nextRunAt`. */
  list(folderKey: string, options: RequestOptions = {}): Promise<Page<TimeTrigger>> {
    return this.ctx.transport.request("GET", `/folders/${segment(folderKey)}/time-triggers`, options);
  }

  get(id: string, options: RequestOptions = {}): Promise<TimeTrigger> {
    return this.ctx.transport.request("GET", `/time-triggers/${segment(id)}`, options);
  }

  create(folderKey: string, input: TimeTriggerInput, options: RequestOptions = {}): Promise<TimeTrigger> {
    return this.ctx.transport.request("POST", `/folders/${segment(folderKey)}/time-triggers`, { ...options, body: input });
  }

  update(id: string, patch: TimeTriggerPatch, options: RequestOptions = {}): Promise<TimeTrigger> {
    return this.ctx.transport.request("PATCH", `/time-triggers/${segment(id)}`, { ...options, body: patch });
  }

  enable(id: string, options: RequestOptions = {}): Promise<TimeTrigger> {
    return this.update(id, { enabled: true }, options);
  }

  /** Nothing fires and nothing is due until it is enabled again (which schedules from then: no backlog). */
  disable(id: string, options: RequestOptions = {}): Promise<TimeTrigger> {
    return this.update(id, { enabled: false }, options);
  }

  delete(id: string, options: RequestOptions = {}): Promise<void> {
    return this.ctx.transport.request("DELETE", `/time-triggers/${segment(id)}`, options);
  }

  /** The trigger's next `count` fire times (1–100, default 5), and its cron in words. */
  preview(id: string, count?: number, options: RequestOptions = {}): Promise<TimeTriggerPreview> {
    return this.ctx.transport.request("GET", `/time-triggers/${segment(id)}/preview`, { ...options, query: { count } });
  }

  /** The next fire times of a cron not saved yet (time zone UTC by default). */
  previewCron(cron: string, timeZone?: string, count?: number, options: RequestOptions = {}): Promise<TimeTriggerPreview> {
    return this.ctx.transport.request("GET", "/time-trigger-preview", { ...options, query: { cron, timeZone, count } });
  }
}
