import { paginate } from "../pagination.js";
import { segment, type RequestOptions } from "../Transport.js";
import type { CreatedPersonalAccessToken, CreateTokenInput, Page, PersonalAccessToken } from "../types.js";
import type { ClientContext } from "./context.js";

/** Personal access tokens: `…/api/v1/tokens`. Secrets are shown once, at creation. */
export class TokensApi {
  constructor(private readonly ctx: ClientContext) {}

  list(options: RequestOptions & { cursor?: string } = {}): Promise<Page<PersonalAccessToken>> {
    return this.ctx.transport.request("GET", "/tokens", { ...options, query: { cursor: options.cursor } });
  }

  iterate(options: RequestOptions = {}): AsyncGenerator<PersonalAccessToken, void, undefined> {
    return paginate((cursor) => this.list({ ...options, cursor }));
  }

  /** Creates a token; `token` (the secret) is shown only in this answer. */
  create(input: Omit<CreateTokenInput, "expiresAt"> & { expiresAt?: string | Date | null }, options: RequestOptions = {}): Promise<CreatedPersonalAccessToken> {
    const expiresAt = input.expiresAt instanceof Date ? input.expiresAt.toISOString() : input.expiresAt;
    return this.ctx.transport.request("POST", "/tokens", { ...options, body: { ...input, ...(expiresAt === undefined ? {} : { expiresAt }) } });
  }

  revoke(id: string, options: RequestOptions = {}): Promise<void> {
    return this.ctx.transport.request("DELETE", `/tokens/${segment(id)}`, options);
  }
}
