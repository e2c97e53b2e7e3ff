import { paginate } from "../pagination.js";
import { segment, type RequestOptions } from "../Transport.js";
import type { CreatedRobotKey, Page, RobotKey, RobotKeyInput, RobotSession } from "../types.js";
import type { ClientContext } from "./context.js";

/** Robots (robot keys) and their live sessions: `…/api/v1/robots`. */
export class RobotsApi {
  constructor(private readonly ctx: ClientContext) {}

  /** The tenant's robots, revoked ones included. */
  list(options: RequestOptions & { cursor?: string } = {}): Promise<Page<RobotKey>> {
    return this.ctx.transport.request("GET", "/robots", { ...options, query: { cursor: options.cursor } });
  }

  iterate(options: RequestOptions = {}): AsyncGenerator<RobotKey, void, undefined> {
    return paginate((cursor) => this.list({ ...options, cursor }));
  }

  /** Creates a robot and its robot key; `key` is shown only in this answer. */
  create(name: string, options: RequestOptions = {}): Promise<CreatedRobotKey> {
    return this.ctx.transport.request("POST", "/robots", { ...options, body: { name } satisfies RobotKeyInput });
  }

  /** Revokes the robot key; its sessions end and their jobs go back to Pending. */
  revoke(id: string, options: RequestOptions = {}): Promise<void> {
    return this.ctx.transport.request("DELETE", `/robots/${segment(id)}`, options);
  }

  /** The live robot sessions. */
  sessions(options: RequestOptions & { cursor?: string } = {}): Promise<Page<RobotSession>> {
    return this.ctx.transport.request("GET", "/robots/sessions", { ...options, query: { cursor: options.cursor } });
  }
}
