import { paginate } from "../pagination.js";
import { segment, type RequestOptions } from "../Transport.js";
import type { Folder, FolderInput, Page } from "../types.js";
import type { ClientContext } from "./context.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Folders: `…/api/v1/folders`. `Shared` cannot be renamed or deleted; a folder must be empty to be deleted. */
export class FoldersApi {
  constructor(private readonly ctx: ClientContext) {}

  list(options: RequestOptions & { cursor?: string } = {}): Promise<Page<Folder>> {
    return this.ctx.transport.request("GET", "/folders", { ...options, query: { cursor: options.cursor } });
  }

  iterate(options: RequestOptions = {}): AsyncGenerator<Folder, void, undefined> {
    return paginate((cursor) => this.list({ ...options, cursor }));
  }

  get(key: string, options: RequestOptions = {}): Promise<Folder> {
    return this.ctx.transport.request("GET", `/folders/${segment(key)}`, options);
  }

  /** The folder with this key or name (a command line takes either), or null. */
  async find(keyOrName: string, options: RequestOptions = {}): Promise<Folder | null> {
    for await (const folder of this.iterate(options)) {
      if (folder.name === keyOrName || (UUID.test(keyOrName) && folder.key.toLowerCase() === keyOrName.toLowerCase())) return folder;
    }
    return null;
  }

  create(name: string, options: RequestOptions = {}): Promise<Folder> {
    return this.ctx.transport.request("POST", "/folders", { ...options, body: { name } satisfies FolderInput });
  }

  rename(key: string, name: string, options: RequestOptions = {}): Promise<Folder> {
    return this.ctx.transport.request("PATCH", `/folders/${segment(key)}`, { ...options, body: { name } satisfies FolderInput });
  }

  delete(key: string, options: RequestOptions = {}): Promise<void> {
    return this.ctx.transport.request("DELETE", `/folders/${segment(key)}`, options);
  }
}
