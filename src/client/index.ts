/**
 * The TypeScript client of Baton (docs/client.md): `new BatonClient({ url, token })`,
 * `invoke()` in every call mode, the management API, typed results and errors.
 */
export { BatonClient, tenantUrl, DEFAULT_MAX_REDIRECTS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, type BatonClientOptions } from "./BatonClient.js";
export {
  AbortError,
  BatonApiError,
  BatonClientError,
  JobFaultedError,
  JobStoppedError,
  NetworkError,
  TimeoutError,
  TooManyRedirectsError,
  UnexpectedResponseError,
} from "./errors.js";
export { API_ERROR_CODES, type ApiErrorCode } from "./errorCodes.js";
export { newIdempotencyKey } from "./idempotency.js";
export type { InvokeOptions, InvokeResult, JobStateDetail, OnState, WaitOptions } from "./invocation.js";
export { collect, paginate } from "./pagination.js";
export type { FoldersApi } from "./resources/Folders.js";
export type { FollowLogsOptions, JobsApi, LogsQuery } from "./resources/Jobs.js";
export type { ProcessesApi } from "./resources/Processes.js";
export type { RobotsApi } from "./resources/Robots.js";
export type { SettingsApi } from "./resources/Settings.js";
export type { TokensApi } from "./resources/Tokens.js";
export type { TriggersApi } from "./resources/Triggers.js";
export type { TimeTriggersApi } from "./resources/TimeTriggers.js";
export type { UsersApi } from "./resources/Users.js";
export type { WebhooksApi } from "./resources/Webhooks.js";
export type { FetchLike, RequestOptions } from "./Transport.js";
export * from "./types.js";
