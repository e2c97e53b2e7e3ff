import { paginate } from "../pagination.js";
import { segment, type RequestOptions } from "../Transport.js";
import type { CreateUserInput, Page, Role, UpdateUserInput, User } from "../types.js";
import type { ClientContext } from "./context.js";

/**
 * Users of the tenant and the roles they are granted: `…/api/v1/users` (OR.Users and the
 * user's Users.View / Users.Edit) and `…/api/v1/roles`. Passwords are sent, never answered.
 */
export class UsersApi {
  constructor(private readonly ctx: ClientContext) {}

  /** The tenant's users, and the organization's (`organizationUser`), which cannot be changed here. */
  list(options: RequestOptions & { cursor?: string } = {}): Promise<Page<User>> {
    return this.ctx.transport.request("GET", "/users", { ...options, query: { cursor: options.cursor } });
  }

  iterate(options: RequestOptions = {}): AsyncGenerator<User, void, undefined> {
    return paginate((cursor) => this.list({ ...options, cursor }));
  }

  get(id: string, options: RequestOptions = {}): Promise<User> {
    return this.ctx.transport.request("GET", `/users/${segment(id)}`, options);
  }

  /** Creates a user of this tenant with a password (for console logins) and roles, tenant-wide or per folder. */
  create(input: CreateUserInput, options: RequestOptions = {}): Promise<User> {
    return this.ctx.transport.request("POST", "/users", { ...options, body: input });
  }

  /** Changes the password, replaces the roles, or disables (enables) the user. */
  update(id: string, patch: UpdateUserInput, options: RequestOptions = {}): Promise<User> {
    return this.ctx.transport.request("PATCH", `/users/${segment(id)}`, { ...options, body: patch });
  }

  /** Deletes the user with its tokens and console sessions (not your own user: 409 user-is-you). */
  delete(id: string, options: RequestOptions = {}): Promise<void> {
    return this.ctx.transport.request("DELETE", `/users/${segment(id)}`, options);
  }

  /** The roles (Administrator, Automation Developer, Viewer) and their permissions. */
  roles(options: RequestOptions = {}): Promise<Page<Role>> {
    return this.ctx.transport.request("GET", "/roles", options);
  }
}
