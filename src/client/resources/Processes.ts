import { paginate } from "../pagination.js";
import { segment, type RequestOptions } from "../Transport.js";
import type { Page, Process, ProcessInput, ProcessPatch } from "../types.js";
import type { ClientContext } from "./context.js";

/** Processes, per folder: `…/api/v1/folders/{folderKey}/processes[/{name}]`. */
export class ProcessesApi {
  constructor(private readonly ctx: ClientContext) {}

  list(folderKey: string, options: RequestOptions & { cursor?: string } = {}): Promise<Page<Process>> {
    return this.ctx.transport.request("GET", `/folders/${segment(folderKey)}/processes`, { ...options, query: { cursor: options.cursor } });
  }

  iterate(folderKey: string, options: RequestOptions = {}): AsyncGenerator<Process, void, undefined> {
    return paginate((cursor) => this.list(folderKey, { ...options, cursor }));
  }

  get(folderKey: string, name: string, options: RequestOptions = {}): Promise<Process> {
    return this.ctx.transport.request("GET", `/folders/${segment(folderKey)}/processes/${segment(name)}`, options);
  }

  create(folderKey: string, input: ProcessInput, options: RequestOptions = {}): Promise<Process> {
    return this.ctx.transport.request("POST", `/folders/${segment(folderKey)}/processes`, { ...options, body: input });
  }

  update(folderKey: string, name: string, patch: ProcessPatch, options: RequestOptions = {}): Promise<Process> {
    return this.ctx.transport.request("PATCH", `/folders/${segment(folderKey)}/processes/${segment(name)}`, { ...options, body: patch });
  }

  /** Refused (409 process-in-use) while API triggers start it. */
  delete(folderKey: string, name: string, options: RequestOptions = {}): Promise<void> {
    return this.ctx.transport.request("DELETE", `/folders/${segment(folderKey)}/processes/${segment(name)}`, options);
  }
}
