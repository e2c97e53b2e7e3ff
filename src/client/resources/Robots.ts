import { paginate } from "../pagination.js";
import { segment, type RequestOptions } from "../Transport.js";
import type { CreatedRobotKey, Page, RobotKey, RobotKeyInput, RobotSession, RotatedRobotKey } from "../types.js";
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

  /**
   * Creates a robot and its robot key; `key` is shown only in this answer. A name alone, or
   * `{ name, folderKeys }` to limit the robot to the jobs of those folders.
   */
  create(input: string | RobotKeyInput, options: RequestOptions = {}): Promise<CreatedRobotKey> {
    const body: RobotKeyInput = typeof input === "string" ? { name: input } : input;
    return this.ctx.transport.request("POST", "/robots", { ...options, body });
  }

  /**
   * Replaces the robot's key: the new `key` is shown only in this answer, the old one stops
   * working at once, and the sessions opened with it end (their jobs go back to Pending).
   */
  rotate(id: string, options: RequestOptions = {}): Promise<RotatedRobotKey> {
    return this.ctx.transport.request("POST", `/robots/${segment(id)}/rotate`, options);
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
