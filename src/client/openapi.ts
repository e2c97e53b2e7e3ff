// Generated from the served OpenAPI document (src/http/openapi.ts) by `npm run gen:api-types`
// (openapi-typescript); do not edit. test/unit/apiTypes.test.ts fails when it is stale.
// Only `components`: the client (src/client/types.ts) and the console (web/src/api.ts) alias
// its schemas; the paths and operations (four times as long) have no user yet.
// It imports nothing, so the client stays dependency-free.

export interface components {
    schemas: {
        /** @enum {string} */
        Verb: "GET" | "POST" | "PUT" | "DELETE";
        /**
         * @description Inherit: the process's priority.
         * @enum {string}
         */
        TriggerPriority: "Inherit" | "Low" | "Normal" | "High";
        /** @description application/problem+json (RFC 9457) with a stable `code`. Some problems carry more members, listed with them. */
        Problem: {
            /**
             * Format: uri
             * @description Always `about:blank` (RFC 9457 §4.2.1): `status` says what kind of problem it is, `code` which one.
             * @constant
             */
            type: "about:blank";
            title: string;
            status: number;
            detail: string;
            /**
             * @description Stable, machine-readable: one of the API's error codes (docs/api.md, Errors).
             * @example trigger-not-found
             * @example invalid-arguments
             * @example job-faulted
             * @enum {string}
             */
            code: "bad-request" | "malformed-request" | "invalid-json" | "invalid-body" | "invalid-request" | "invalid-content-length" | "invalid-url" | "invalid-host" | "invalid-query" | "invalid-arguments" | "unknown-control-parameter" | "invalid-call-mode" | "invalid-characters" | "schema-too-complex" | "invalid-schema" | "invalid-folder" | "invalid-process" | "invalid-trigger" | "invalid-time-trigger" | "invalid-settings" | "invalid-tenant" | "invalid-webhook" | "invalid-token" | "invalid-scopes" | "token-outlives-creator" | "invalid-robot" | "invalid-user" | "invalid-login" | "invalid-password-change" | "invalid-external-app" | "invalid-filter" | "invalid-cursor" | "invalid-strategy" | "invalid-session" | "invalid-claim" | "invalid-heartbeat" | "invalid-logs" | "invalid-results" | "invalid-output" | "invalid-error" | "invalid-idempotency-key" | "unauthorized" | "invalid-credentials" | "insufficient-scope" | "not-org-admin" | "permission-denied" | "csrf-token-invalid" | "token-needs-user" | "wrong-password" | "route-not-found" | "tenant-not-found" | "folder-not-found" | "process-not-found" | "trigger-not-found" | "time-trigger-not-found" | "job-not-found" | "token-not-found" | "robot-not-found" | "session-not-found" | "user-not-found" | "webhook-not-found" | "webhook-delivery-not-found" | "external-app-not-found" | "asset-not-found" | "method-not-allowed" | "request-timeout" | "payload-too-large" | "uri-too-long" | "headers-too-large" | "unsupported-media-type" | "unsupported-content-encoding" | "conflict" | "trigger-disabled" | "job-not-finished" | "job-stopped" | "job-final" | "job-busy" | "job-not-held" | "slug-taken" | "folder-exists" | "folder-not-empty" | "folder-protected" | "process-exists" | "process-in-use" | "time-trigger-exists" | "tenant-exists" | "robot-exists" | "robot-revoked" | "user-exists" | "user-of-organization" | "user-is-you" | "webhook-delivery-pending" | "external-app-exists" | "external-app-revoked" | "idempotency-key-mismatch" | "rate-limited" | "password-hashing-busy" | "login-throttled" | "job-faulted" | "internal-error" | "webhook-dns-unavailable" | "store-unavailable" | "shutting-down" | "console-not-built";
            /** @description The request's path. */
            instance?: string;
        } & {
            [key: string]: unknown;
        };
        Violation: {
            /** @description A JSON Pointer into the request body or arguments (`/` for the whole); for a query parameter, `/` and its name. */
            path: string;
            message: string;
        };
        /** @description A 400 problem; the validation codes (invalid-arguments, invalid-process, invalid-trigger, invalid-settings, schema-too-complex, and the robot protocol's invalid-session, invalid-claim, invalid-heartbeat, invalid-logs, invalid-results, invalid-output, invalid-error) list the violations with JSON Pointers; the others that carry `violations` (invalid-filter, invalid-query, invalid-cursor, invalid-folder, invalid-token) name the one at fault. */
        ValidationProblem: components["schemas"]["Problem"] & {
            violations?: components["schemas"]["Violation"][];
            /** @description invalid-arguments: how many violations were found (violations lists at most 20). */
            violationCount?: number;
            /** @description invalid-arguments: violations is not every violation (cut at 20, or validation stopped at the first). */
            truncated?: boolean;
            /** @description schema-too-complex (and invalid-schema): the schema limit broken, e.g. maxChecksPerValue. */
            limit?: string;
            /** @description schema-too-complex: the value of that limit. */
            max?: number;
        };
        /** @description 403 insufficient-scope. */
        InsufficientScopeProblem: components["schemas"]["Problem"] & {
            /** @constant */
            code?: "insufficient-scope";
            /** @description Any one of these scopes is enough (POST /tokens: the requested scopes the caller's credential lacks). */
            requiredScope: components["schemas"]["Scope"][];
        };
        /** @description 403 permission-denied: the token has the scope, but its user lacks the permission (tenant-wide, or in the folder, for folder resources). */
        PermissionDeniedProblem: components["schemas"]["Problem"] & {
            /** @constant */
            code?: "permission-denied";
            requiredPermission: components["schemas"]["Permission"];
        };
        /** @description 429 rate-limited: the tenant's rate limit is used up on this node. */
        RateLimitedProblem: components["schemas"]["Problem"] & {
            /** @constant */
            code?: "rate-limited";
            /**
             * @description Which limit: the token's (`rateLimitPerTokenPerMinute`) or the trigger's (`rateLimitPerTriggerPerMinute`).
             * @enum {unknown}
             */
            limitedBy: "token" | "trigger";
            limitPerMinute: number;
            /** @description The same as the Retry-After header. */
            retryAfterSeconds: number;
        };
        /** @description 413 payload-too-large. */
        PayloadTooLargeProblem: components["schemas"]["Problem"] & {
            /** @description The tenant's limit in bytes (invocations). */
            limit?: number;
        };
        /** @description 500 job-faulted: the job ended Faulted; `error` is the job's error. */
        JobFaultedProblem: components["schemas"]["Problem"] & {
            /** @constant */
            code?: "job-faulted";
            /** Format: uuid */
            jobKey: string;
            /** @constant */
            state: "Faulted";
            error: components["schemas"]["JobError"] | null;
        };
        /** @description 409 job-stopped: the job was stopped before it finished. */
        JobStoppedProblem: components["schemas"]["Problem"] & {
            /** @constant */
            code?: "job-stopped";
            /** Format: uuid */
            jobKey: string;
            /** @constant */
            state: "Stopped";
        };
        /** @description 409 job-not-finished: the output URI was asked before the job was final. */
        JobNotFinishedProblem: components["schemas"]["Problem"] & {
            /** @constant */
            code?: "job-not-finished";
            /** Format: uuid */
            jobKey: string;
            /** @enum {unknown} */
            state: "Pending" | "Running" | "Stopping" | "Terminating";
        };
        AuditEntry: {
            /** @description Increases with every entry of the installation. */
            seq: number;
            /**
             * Format: date-time
             * @description When the change was made.
             */
            at: string;
            actor: {
                /**
                 * @description The credential: `token` (a personal access token), `oauth` (an external application's access token), `session` (a console login), …
                 * @example token
                 * @example oauth
                 * @example session
                 */
                kind: string;
                /** @description The token's id (for `oauth`, the application's client id; for `session`, the user's id). */
                id: string | null;
                /** @description The token's name (for `oauth`, the application's name; for `session`, the user's name). */
                name: string | null;
            };
            /**
             * @description `{resource}.{verb}`: folder, process, trigger, user (create, update, delete); job (start, stop); robot (create, rotate, revoke); token (create, revoke); session (login, logout); settings.update; tenant.create; external-app (create, rotate-secret, revoke).
             * @example trigger.create
             * @example trigger.update
             * @example job.stop
             * @example token.revoke
             * @example settings.update
             * @example user.update
             * @example session.login
             */
            action: string;
            /** @description The id or key of what changed (a folder's key, a trigger's id, a job's key, the tenant's id for settings). */
            target: string | null;
            /** @description What changed, without values that could be secret: names, slugs, the folder, `fields` (the names of the fields the request set, never their values), scopes. Never a token, key, client secret, password or argument value. */
            details: {
                [key: string]: unknown;
            };
            /** @description The caller's address: the connection's peer, or with BATON_TRUST_PROXY the last address of X-Forwarded-For (the one the proxy appended). */
            sourceIp: string | null;
            /** @description The request's id (its `X-Request-Id`), to find its log lines. */
            requestId: string | null;
        };
        AuditPage: {
            items: components["schemas"]["AuditEntry"][];
            /** @description Pass it as `cursor` for the next page; null on the last page. */
            nextCursor: string | null;
        };
        Folder: {
            /** Format: uuid */
            key: string;
            /** @description 1-128 characters, without '/', '\', control characters or surrounding whitespace. */
            name: string;
            /** Format: date-time */
            createdAt: string;
        };
        FolderInput: {
            /** @description 1-128 characters, without '/', '\', control characters or surrounding whitespace. */
            name: string;
        };
        FolderPage: {
            items: components["schemas"]["Folder"][];
            /** @description This list is not paginated yet: always null. */
            nextCursor: string | null;
        };
        /**
         * @description Pending → Running → Successful / Faulted; a stop passes through Stopping (SoftStop) or Terminating (Kill) and ends Stopped. Successful, Faulted and Stopped are final.
         * @enum {string}
         */
        JobState: "Pending" | "Running" | "Stopping" | "Terminating" | "Successful" | "Faulted" | "Stopped";
        /** @enum {string} */
        JobSource: "ApiTrigger" | "TimeTrigger" | "Manual" | "Api";
        /**
         * @description AsyncRequestReply: 202 and a status URI to poll. FireAndForget: 200 once stored, no body. LongPolling: the call blocks until the result (or 303 to a wait URI).
         * @enum {string}
         */
        CallMode: "AsyncRequestReply" | "FireAndForget" | "LongPolling";
        /** @enum {string} */
        Priority: "Low" | "Normal" | "High";
        /**
         * @description RetryBackoff: a retry's backoff has not ended. NoRobot: no live robot session serves the process in the job's folder. ConcurrencyLimit: the process's maxConcurrentJobs, or its key's maxConcurrentJobsPerKey, jobs are running. Queued: none of those; it waits for a free slot, behind older and higher-priority jobs. Checked in that order.
         * @enum {string}
         */
        PendingReason: "NoRobot" | "ConcurrencyLimit" | "RetryBackoff" | "Queued";
        /** @enum {string} */
        StopStrategy: "SoftStop" | "Kill";
        /** @description Input or output arguments: a JSON object. */
        Arguments: {
            [key: string]: unknown;
        };
        JobError: {
            /**
             * @example ProcessExitCode
             * @example MaxDurationExceeded
             * @example RobotLost
             */
            code: string;
            message: string;
            /** @description Any JSON value the robot reported. */
            details?: unknown;
            /**
             * @description Present (false) when the failure was marked not retryable: the job ended without the retries its policy allows.
             * @constant
             */
            retryable?: false;
        };
        Job: {
            /** Format: uuid */
            key: string;
            /** Format: uuid */
            folderKey: string;
            processName: string;
            /**
             * Format: uuid
             * @description The API trigger that created the job, if any.
             */
            triggerId: string | null;
            source: components["schemas"]["JobSource"];
            callMode: components["schemas"]["CallMode"];
            state: components["schemas"]["JobState"];
            priority: components["schemas"]["Priority"];
            inputArguments: components["schemas"]["Arguments"];
            outputArguments: components["schemas"]["Arguments"] | null;
            error: components["schemas"]["JobError"] | null;
            /** @description The robot that runs or ran the job. */
            robot: string | null;
            /** @description 0 until a robot claims the job; then the attempt number. */
            attempt: number;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            startedAt: string | null;
            /** Format: date-time */
            endedAt: string | null;
            /** @description The last log line or status line. */
            info: string | null;
            /** @description The Idempotency-Key of the call that created the job, if it sent one. */
            idempotencyKey: string | null;
            /**
             * Format: date-time
             * @description A Pending job waiting out a retry's backoff is not claimed before this moment; null otherwise.
             */
            retryAt: string | null;
            /** @description Why a Pending job waits, as of this answer; null when the job is not Pending. */
            pendingReason: components["schemas"]["PendingReason"] | null;
            /**
             * Format: uuid
             * @description Source TimeTrigger only: the time trigger that started the job.
             */
            timeTriggerId?: string;
            /**
             * Format: date-time
             * @description Source TimeTrigger only: the slot (fire time) the job was started for; after downtime with `RunOnce`, the first slot missed.
             */
            slot?: string;
        };
        JobAttempt: {
            attempt: number;
            /** @description The robot that ran the attempt. */
            robot: string | null;
            /** @description The robot session that ran the attempt. */
            sessionId: string | null;
            /** Format: date-time */
            startedAt: string | null;
            /**
             * Format: date-time
             * @description null while the attempt runs.
             */
            endedAt: string | null;
            /**
             * @description Running (Stopping, Terminating) while it runs; how it ended otherwise. HandedBack: its robot closed its session (no failure).
             * @enum {string}
             */
            outcome: "Running" | "Stopping" | "Terminating" | "Successful" | "Faulted" | "Stopped" | "HandedBack";
            error: components["schemas"]["JobError"] | null;
        };
        JobDetail: {
            /** Format: uuid */
            key: string;
            /** Format: uuid */
            folderKey: string;
            processName: string;
            /**
             * Format: uuid
             * @description The API trigger that created the job, if any.
             */
            triggerId: string | null;
            source: components["schemas"]["JobSource"];
            callMode: components["schemas"]["CallMode"];
            state: components["schemas"]["JobState"];
            priority: components["schemas"]["Priority"];
            inputArguments: components["schemas"]["Arguments"];
            outputArguments: components["schemas"]["Arguments"] | null;
            error: components["schemas"]["JobError"] | null;
            /** @description The robot that runs or ran the job. */
            robot: string | null;
            /** @description 0 until a robot claims the job; then the attempt number. */
            attempt: number;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            startedAt: string | null;
            /** Format: date-time */
            endedAt: string | null;
            /** @description The last log line or status line. */
            info: string | null;
            /** @description The Idempotency-Key of the call that created the job, if it sent one. */
            idempotencyKey: string | null;
            /**
             * Format: date-time
             * @description A Pending job waiting out a retry's backoff is not claimed before this moment; null otherwise.
             */
            retryAt: string | null;
            /** @description Why a Pending job waits, as of this answer; null when the job is not Pending. */
            pendingReason: components["schemas"]["PendingReason"] | null;
            /**
             * Format: uuid
             * @description Source TimeTrigger only: the time trigger that started the job.
             */
            timeTriggerId?: string;
            /**
             * Format: date-time
             * @description Source TimeTrigger only: the slot (fire time) the job was started for; after downtime with `RunOnce`, the first slot missed.
             */
            slot?: string;
            /** @description Every attempt, the first first: those that failed and were retried (or were handed back), then the current or last one. */
            attempts: components["schemas"]["JobAttempt"][];
        };
        /** @description A job in a list: as GET /jobs/{jobKey} answers it, except that inputArguments, outputArguments and error longer than 2048 bytes of JSON are left out (and flagged), so that a page stays small whatever the jobs carry. */
        JobListItem: {
            /** Format: uuid */
            key: string;
            /** Format: uuid */
            folderKey: string;
            processName: string;
            /**
             * Format: uuid
             * @description The API trigger that created the job, if any.
             */
            triggerId: string | null;
            source: components["schemas"]["JobSource"];
            callMode: components["schemas"]["CallMode"];
            state: components["schemas"]["JobState"];
            priority: components["schemas"]["Priority"];
            /** @description Left out when longer than 2048 bytes of JSON (then inputArgumentsTruncated). */
            inputArguments?: {
                [key: string]: unknown;
            };
            /** @description Left out when longer than 2048 bytes of JSON (then outputArgumentsTruncated). */
            outputArguments?: components["schemas"]["Arguments"] | null;
            /** @description Left out when longer than 2048 bytes of JSON (then errorTruncated). */
            error?: components["schemas"]["JobError"] | null;
            /** @description The robot that runs or ran the job. */
            robot: string | null;
            /** @description 0 until a robot claims the job; then the attempt number. */
            attempt: number;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            startedAt: string | null;
            /** Format: date-time */
            endedAt: string | null;
            /** @description The last log line or status line. */
            info: string | null;
            /** @description The Idempotency-Key of the call that created the job, if it sent one. */
            idempotencyKey: string | null;
            /**
             * Format: date-time
             * @description A Pending job waiting out a retry's backoff is not claimed before this moment; null otherwise.
             */
            retryAt: string | null;
            /** @description Why a Pending job waits, as of this answer; null when the job is not Pending. */
            pendingReason: components["schemas"]["PendingReason"] | null;
            /**
             * Format: uuid
             * @description Source TimeTrigger only: the time trigger that started the job.
             */
            timeTriggerId?: string;
            /**
             * Format: date-time
             * @description Source TimeTrigger only: the slot (fire time) the job was started for; after downtime with `RunOnce`, the first slot missed.
             */
            slot?: string;
            /**
             * @description Present (true) when the job's inputArguments is longer than 2048 bytes of JSON: the list leaves it out; GET /jobs/{jobKey} has it.
             * @constant
             */
            inputArgumentsTruncated?: true;
            /**
             * @description Present (true) when the job's outputArguments is longer than 2048 bytes of JSON: the list leaves it out; GET /jobs/{jobKey} has it.
             * @constant
             */
            outputArgumentsTruncated?: true;
            /**
             * @description Present (true) when the job's error is longer than 2048 bytes of JSON: the list leaves it out; GET /jobs/{jobKey} has it.
             * @constant
             */
            errorTruncated?: true;
        };
        JobPage: {
            items: components["schemas"]["JobListItem"][];
            /** @description Pass it as `cursor` for the next page; null on the last page. */
            nextCursor: string | null;
        };
        JobLogLine: {
            seq: number;
            /** Format: date-time */
            at: string;
            /** @enum {string} */
            level: "info" | "error";
            message: string;
        };
        JobLogPage: {
            items: components["schemas"]["JobLogLine"][];
            /** @description Pass it as `cursor` for the next page; null on the last page. */
            nextCursor: string | null;
        };
        /** @description Starts a job of a process directly, in call mode AsyncRequestReply; its source is Api. Unknown fields (a `source` among them: the server sets it) are ignored. */
        StartJob: {
            /** @description The folder's key (a UUID; any other is answered 404 folder-not-found). */
            folderKey: string;
            /** @description The process's name. */
            processName: string;
            /** @description Merged over the process's default input arguments, then validated against its input schema. */
            inputArguments?: {
                [key: string]: unknown;
            };
            /**
             * @description Defaults to the process's priority.
             * @enum {string}
             */
            priority?: "Low" | "Normal" | "High";
        } & {
            [key: string]: unknown;
        };
        StopJob: {
            strategy: components["schemas"]["StopStrategy"];
        };
        /** @description Input arguments. Keys starting with `$` are control parameters: only `$callMode` exists; any other is 400 unknown-control-parameter. */
        InvocationBody: {
            /** @description Overrides the trigger's default call mode; never reaches the process. */
            $callMode?: components["schemas"]["CallMode"];
        } & {
            [key: string]: unknown;
        };
        AcceptedJob: {
            /** Format: uuid */
            jobKey: string;
            state: components["schemas"]["JobState"];
            /**
             * Format: uri
             * @description The same as the Location header.
             */
            statusUri: string;
        };
        JobStatus: {
            /** Format: uuid */
            jobKey: string;
            /**
             * @description Never final: a final job is answered 303 to its output URI.
             * @enum {string}
             */
            state: "Pending" | "Running" | "Stopping" | "Terminating";
            /** @description The process name. */
            process: string;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            startedAt: string | null;
            info: string | null;
        };
        /**
         * @description `*`: every event.
         * @enum {string}
         */
        WebhookEvent: "job.created" | "job.started" | "job.completed" | "job.faulted" | "job.stopped" | "job.retrying" | "*";
        Webhook: {
            /** Format: uuid */
            id: string;
            /** Format: uri */
            url: string;
            events: components["schemas"]["WebhookEvent"][];
            /** @description Only jobs of these folders; null: every folder. */
            folderKeys: string[] | null;
            enabled: boolean;
            description: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            secretRotatedAt: string | null;
        };
        WebhookPage: {
            items: components["schemas"]["Webhook"][];
            /** @description This list is not paginated yet: always null. */
            nextCursor: string | null;
        };
        CreatedWebhook: {
            /** Format: uuid */
            id: string;
            /** Format: uri */
            url: string;
            events: components["schemas"]["WebhookEvent"][];
            /** @description Only jobs of these folders; null: every folder. */
            folderKeys: string[] | null;
            enabled: boolean;
            description: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            secretRotatedAt: string | null;
            /** @description The signing secret (Standard Webhooks format): shown only this once. */
            secret: string;
        };
        RotatedWebhook: {
            /** Format: uuid */
            id: string;
            /** Format: uri */
            url: string;
            events: components["schemas"]["WebhookEvent"][];
            /** @description Only jobs of these folders; null: every folder. */
            folderKeys: string[] | null;
            enabled: boolean;
            description: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            secretRotatedAt: string | null;
            /** @description The new signing secret: shown only this once. */
            secret: string;
            /** @description Until then deliveries carry a second `v1,` signature made with the previous secret. */
            previousSecretValidUntil: string | null;
        };
        /** @description `id`, `createdAt`, `updatedAt` and `secretRotatedAt` are ignored; any other unknown field is 400 invalid-webhook. */
        WebhookInput: {
            /** @description http or https, without credentials; loopback, link-local and private addresses (after DNS resolution) are refused unless BATON_WEBHOOKS_ALLOW_PRIVATE=true. */
            url: string;
            /** @description At least one event. */
            events: components["schemas"]["WebhookEvent"][];
            /** @description 1 to 100 folder keys of the tenant; null or absent: every folder. */
            folderKeys?: string[] | null;
            /** @description true by default. */
            enabled?: boolean;
            /** @description At most 500 characters. */
            description?: string | null;
        } & {
            [key: string]: unknown;
        };
        /** @description The fields to change; the others keep their values. */
        WebhookPatch: {
            /** @description http or https, without credentials; loopback, link-local and private addresses (after DNS resolution) are refused unless BATON_WEBHOOKS_ALLOW_PRIVATE=true. */
            url?: string;
            /** @description At least one event. */
            events?: components["schemas"]["WebhookEvent"][];
            /** @description 1 to 100 folder keys of the tenant; null or absent: every folder. */
            folderKeys?: string[] | null;
            /** @description true by default. */
            enabled?: boolean;
            /** @description At most 500 characters. */
            description?: string | null;
        } & {
            [key: string]: unknown;
        };
        WebhookAttempt: {
            /** Format: date-time */
            at: string;
            /** @description The receiver's status; null when no answer came (refused, timed out, refused address). */
            statusCode: number | null;
            durationMs: number;
            /** @description Why the attempt failed; null for a 2xx. */
            error: string | null;
        };
        WebhookDelivery: {
            /** @description The `webhook-id` header: the same for every attempt and redelivery (receivers drop repeats by it). */
            id: string;
            /** Format: uuid */
            webhookId: string;
            /** @description The event (`job.completed`, …) or `webhook.test`. */
            type: string;
            jobKey: string | null;
            /** @enum {string} */
            state: "Pending" | "Delivered" | "Failed";
            /** Format: date-time */
            createdAt: string;
            nextAttemptAt: string | null;
            /**
             * Format: date-time
             * @description Failed attempts are retried until then (24 hours), then the delivery is Failed.
             */
            retryUntil: string;
            deliveredAt: string | null;
            attempts: components["schemas"]["WebhookAttempt"][];
            /** @description The body sent: `{ type, timestamp, data: { job } }` (the job as GET /jobs/{jobKey} shows it). */
            payload: {
                type: string;
                /** Format: date-time */
                timestamp: string;
                data: {
                    [key: string]: unknown;
                };
            } & {
                [key: string]: unknown;
            };
        };
        WebhookDeliveryPage: {
            items: components["schemas"]["WebhookDelivery"][];
            /** @description Pass it as `cursor` for the next page; null on the last page. */
            nextCursor: string | null;
        };
        RetryBackoff: {
            /**
             * @description Fixed: every wait is delaySeconds. Exponential: the wait after attempt n is delaySeconds × 2^(n-1).
             * @enum {string}
             */
            type: "Fixed" | "Exponential";
            /** @description The first wait. At most a year. */
            delaySeconds: number;
            /** @description No wait is longer (before jitter); at least delaySeconds. */
            maxDelaySeconds: number;
            /** @description Equal jitter: the wait d becomes a random moment in [d/2, d]. */
            jitter: boolean;
        };
        RetryPolicy: {
            /** @description Total attempts, the first included; 1 means no retry. */
            maxAttempts: number;
            backoff: components["schemas"]["RetryBackoff"];
        };
        /** @description Any field left out keeps its current value (defaults: maxAttempts 1, backoff Exponential, delaySeconds 5, maxDelaySeconds 3600, no jitter). */
        RetryPolicyInput: {
            /** @description Total attempts, the first included; 1 means no retry. */
            maxAttempts?: number;
            /** @description Any field left out keeps its current value. */
            backoff?: {
                /**
                 * @description Fixed: every wait is delaySeconds. Exponential: the wait after attempt n is delaySeconds × 2^(n-1).
                 * @enum {string}
                 */
                type?: "Fixed" | "Exponential";
                /** @description The first wait. At most a year. */
                delaySeconds?: number;
                /** @description No wait is longer (before jitter); at least delaySeconds. */
                maxDelaySeconds?: number;
                /** @description Equal jitter: the wait d becomes a random moment in [d/2, d]. */
                jitter?: boolean;
            };
            /**
             * @deprecated
             * @description The former form of the backoff: the same as backoff { type: Exponential, delaySeconds }. Not with backoff.
             */
            backoffSeconds?: number;
        };
        Process: {
            /**
             * Format: uuid
             * @description Assigned by the orchestrator.
             */
            readonly id: string;
            /**
             * Format: uuid
             * @description The folder the process belongs to.
             */
            readonly folderKey: string;
            /** @description Unique in its folder; robots announce the names they serve. 1-128 characters, without '/', '\', control characters or surrounding whitespace. */
            name: string;
            /** @default  */
            description: string;
            /** @description Input arguments every job of the process starts from. */
            defaultInputArguments: {
                [key: string]: unknown;
            };
            /** @description Input arguments are validated against it before a job exists (400 invalid-arguments). A JSON Schema (draft 2020-12) object, or null for none; it must compile. */
            inputSchema: {
                [key: string]: unknown;
            } | null;
            /** @description Documents the output arguments. A JSON Schema (draft 2020-12) object, or null for none; it must compile. */
            outputSchema: {
                [key: string]: unknown;
            } | null;
            /**
             * @description Low, Normal (the default) or High.
             * @enum {string}
             */
            priority: "Low" | "Normal" | "High";
            /**
             * @description A run longer than this is killed and ends Faulted; null for no limit. At most a year.
             * @default null
             */
            maxDurationSeconds: number | null;
            /**
             * @description At most this many jobs of the process run at once (Running, Stopping or Terminating), across all robots and nodes; the others stay Pending (pendingReason ConcurrencyLimit). null: no limit.
             * @default null
             */
            maxConcurrentJobs: number | null;
            /**
             * @description A JSON Pointer (RFC 6901) into the input arguments, such as `/customerId`: jobs whose input has the same value there share maxConcurrentJobsPerKey. A job without a value there is limited by maxConcurrentJobs only. Read when a job is created.
             * @default null
             */
            concurrencyKey: string | null;
            /**
             * @description At most this many jobs with the same concurrencyKey value run at once; requires concurrencyKey. null: no limit per key.
             * @default null
             */
            maxConcurrentJobsPerKey: number | null;
            retry: components["schemas"]["RetryPolicy"];
            /**
             * Format: date-time
             * @description When the process was created.
             */
            readonly createdAt: string;
            /**
             * Format: date-time
             * @description When the process was last changed.
             */
            readonly updatedAt: string;
        };
        ProcessPage: {
            items: components["schemas"]["Process"][];
            /** @description This list is not paginated yet: always null. */
            nextCursor: string | null;
        };
        /** @description Read-only fields are ignored, so a fetched process can be sent back; any other unknown field is 400 invalid-process. */
        ProcessInput: {
            /** @description Unique in its folder; robots announce the names they serve. 1-128 characters, without '/', '\', control characters or surrounding whitespace. */
            name: string;
            /** @default  */
            description?: string;
            /** @description Input arguments every job of the process starts from. */
            defaultInputArguments?: {
                [key: string]: unknown;
            };
            /** @description Input arguments are validated against it before a job exists (400 invalid-arguments). A JSON Schema (draft 2020-12) object, or null for none; it must compile. */
            inputSchema?: {
                [key: string]: unknown;
            } | null;
            /** @description Documents the output arguments. A JSON Schema (draft 2020-12) object, or null for none; it must compile. */
            outputSchema?: {
                [key: string]: unknown;
            } | null;
            /**
             * @description Low, Normal (the default) or High.
             * @enum {string}
             */
            priority?: "Low" | "Normal" | "High";
            /**
             * @description A run longer than this is killed and ends Faulted; null for no limit. At most a year.
             * @default null
             */
            maxDurationSeconds?: number | null;
            /**
             * @description At most this many jobs of the process run at once (Running, Stopping or Terminating), across all robots and nodes; the others stay Pending (pendingReason ConcurrencyLimit). null: no limit.
             * @default null
             */
            maxConcurrentJobs?: number | null;
            /**
             * @description A JSON Pointer (RFC 6901) into the input arguments, such as `/customerId`: jobs whose input has the same value there share maxConcurrentJobsPerKey. A job without a value there is limited by maxConcurrentJobs only. Read when a job is created.
             * @default null
             */
            concurrencyKey?: string | null;
            /**
             * @description At most this many jobs with the same concurrencyKey value run at once; requires concurrencyKey. null: no limit per key.
             * @default null
             */
            maxConcurrentJobsPerKey?: number | null;
            /** @description Any field left out keeps its current value (defaults: maxAttempts 1, backoff Exponential, delaySeconds 5, maxDelaySeconds 3600, no jitter). */
            retry?: {
                /** @description Total attempts, the first included; 1 means no retry. */
                maxAttempts?: number;
                /** @description Any field left out keeps its current value. */
                backoff?: {
                    /**
                     * @description Fixed: every wait is delaySeconds. Exponential: the wait after attempt n is delaySeconds × 2^(n-1).
                     * @enum {string}
                     */
                    type?: "Fixed" | "Exponential";
                    /** @description The first wait. At most a year. */
                    delaySeconds?: number;
                    /** @description No wait is longer (before jitter); at least delaySeconds. */
                    maxDelaySeconds?: number;
                    /** @description Equal jitter: the wait d becomes a random moment in [d/2, d]. */
                    jitter?: boolean;
                };
                /**
                 * @deprecated
                 * @description The former form of the backoff: the same as backoff { type: Exponential, delaySeconds }. Not with backoff.
                 */
                backoffSeconds?: number;
            };
            /**
             * Format: uuid
             * @description Assigned by the orchestrator.
             */
            readonly id?: string;
            /**
             * Format: uuid
             * @description The folder the process belongs to.
             */
            readonly folderKey?: string;
            /**
             * Format: date-time
             * @description When the process was created.
             */
            readonly createdAt?: string;
            /**
             * Format: date-time
             * @description When the process was last changed.
             */
            readonly updatedAt?: string;
        };
        /** @description The fields to change. Read-only fields are ignored; any other unknown field is 400 invalid-process. */
        ProcessPatch: {
            /** @description A process cannot be renamed: if present, it must be the current name. */
            name?: string;
            /** @default  */
            description?: string;
            /** @description Input arguments every job of the process starts from. */
            defaultInputArguments?: {
                [key: string]: unknown;
            };
            /** @description Input arguments are validated against it before a job exists (400 invalid-arguments). A JSON Schema (draft 2020-12) object, or null for none; it must compile. */
            inputSchema?: {
                [key: string]: unknown;
            } | null;
            /** @description Documents the output arguments. A JSON Schema (draft 2020-12) object, or null for none; it must compile. */
            outputSchema?: {
                [key: string]: unknown;
            } | null;
            /**
             * @description Low, Normal (the default) or High.
             * @enum {string}
             */
            priority?: "Low" | "Normal" | "High";
            /**
             * @description A run longer than this is killed and ends Faulted; null for no limit. At most a year.
             * @default null
             */
            maxDurationSeconds?: number | null;
            /**
             * @description At most this many jobs of the process run at once (Running, Stopping or Terminating), across all robots and nodes; the others stay Pending (pendingReason ConcurrencyLimit). null: no limit.
             * @default null
             */
            maxConcurrentJobs?: number | null;
            /**
             * @description A JSON Pointer (RFC 6901) into the input arguments, such as `/customerId`: jobs whose input has the same value there share maxConcurrentJobsPerKey. A job without a value there is limited by maxConcurrentJobs only. Read when a job is created.
             * @default null
             */
            concurrencyKey?: string | null;
            /**
             * @description At most this many jobs with the same concurrencyKey value run at once; requires concurrencyKey. null: no limit per key.
             * @default null
             */
            maxConcurrentJobsPerKey?: number | null;
            /** @description Any field left out keeps its current value (defaults: maxAttempts 1, backoff Exponential, delaySeconds 5, maxDelaySeconds 3600, no jitter). */
            retry?: {
                /** @description Total attempts, the first included; 1 means no retry. */
                maxAttempts?: number;
                /** @description Any field left out keeps its current value. */
                backoff?: {
                    /**
                     * @description Fixed: every wait is delaySeconds. Exponential: the wait after attempt n is delaySeconds × 2^(n-1).
                     * @enum {string}
                     */
                    type?: "Fixed" | "Exponential";
                    /** @description The first wait. At most a year. */
                    delaySeconds?: number;
                    /** @description No wait is longer (before jitter); at least delaySeconds. */
                    maxDelaySeconds?: number;
                    /** @description Equal jitter: the wait d becomes a random moment in [d/2, d]. */
                    jitter?: boolean;
                };
                /**
                 * @deprecated
                 * @description The former form of the backoff: the same as backoff { type: Exponential, delaySeconds }. Not with backoff.
                 */
                backoffSeconds?: number;
            };
            /**
             * Format: uuid
             * @description Assigned by the orchestrator.
             */
            readonly id?: string;
            /**
             * Format: uuid
             * @description The folder the process belongs to.
             */
            readonly folderKey?: string;
            /**
             * Format: date-time
             * @description When the process was created.
             */
            readonly createdAt?: string;
            /**
             * Format: date-time
             * @description When the process was last changed.
             */
            readonly updatedAt?: string;
        };
        Trigger: {
            /**
             * Format: uuid
             * @description Assigned by the orchestrator; the `triggerId` of the jobs it creates.
             */
            readonly id: string;
            /**
             * Format: uuid
             * @description The folder of the trigger and of its process.
             */
            readonly folderKey: string;
            /** @description 1-128 characters, without '/', '\' or control characters. */
            name: string;
            /**
             * @description Unique in the tenant: 1-128 letters, digits, '-', '_' or '.'; no '/'.
             * @example invoice-approval
             */
            slug: string;
            /** @enum {string} */
            verb: "GET" | "POST" | "PUT" | "DELETE";
            /** @description The name of a process in the trigger's folder. */
            processName: string;
            /**
             * @description The default call mode; a caller may override it with `$callMode`.
             * @enum {string}
             */
            callMode: "AsyncRequestReply" | "FireAndForget" | "LongPolling";
            /** @description Argument defaults: they override the process's defaults and are overridden by the request. No key starts with `$`. */
            defaultArguments: {
                [key: string]: unknown;
            };
            /**
             * @description Inherit (the default): the process's priority.
             * @enum {string}
             */
            priority: "Inherit" | "Low" | "Normal" | "High";
            /** @description A disabled trigger answers 409 trigger-disabled. */
            enabled: boolean;
            /**
             * Format: date-time
             * @description When the trigger was created.
             */
            readonly createdAt: string;
            /**
             * Format: date-time
             * @description When the trigger was last changed.
             */
            readonly updatedAt: string;
            /**
             * Format: uri
             * @description The absolute invoke URL: `{base}/{org}/{tenant}/orchestrator_/t/{folderKey}/{slug}`.
             */
            readonly invokeUrl: string;
        };
        TriggerPage: {
            items: components["schemas"]["Trigger"][];
            /** @description This list is not paginated yet: always null. */
            nextCursor: string | null;
        };
        /** @description Read-only fields are ignored, so a fetched trigger can be sent back; any other unknown field is 400 invalid-trigger. */
        TriggerInput: {
            /** @description 1-128 characters, without '/', '\' or control characters. */
            name: string;
            /**
             * @description Unique in the tenant: 1-128 letters, digits, '-', '_' or '.'; no '/'.
             * @example invoice-approval
             */
            slug: string;
            /** @enum {string} */
            verb: "GET" | "POST" | "PUT" | "DELETE";
            /** @description The name of a process in the trigger's folder. */
            processName: string;
            /**
             * @description The default call mode; a caller may override it with `$callMode`.
             * @default AsyncRequestReply
             * @enum {string}
             */
            callMode?: "AsyncRequestReply" | "FireAndForget" | "LongPolling";
            /**
             * @description Argument defaults: they override the process's defaults and are overridden by the request. No key starts with `$`.
             * @default {}
             */
            defaultArguments?: {
                [key: string]: unknown;
            };
            /**
             * @description Inherit (the default): the process's priority.
             * @default Inherit
             * @enum {string}
             */
            priority?: "Inherit" | "Low" | "Normal" | "High";
            /**
             * @description A disabled trigger answers 409 trigger-disabled.
             * @default true
             */
            enabled?: boolean;
            /**
             * Format: uuid
             * @description Assigned by the orchestrator; the `triggerId` of the jobs it creates.
             */
            readonly id?: string;
            /**
             * Format: uuid
             * @description The folder of the trigger and of its process.
             */
            readonly folderKey?: string;
            /**
             * Format: date-time
             * @description When the trigger was created.
             */
            readonly createdAt?: string;
            /**
             * Format: date-time
             * @description When the trigger was last changed.
             */
            readonly updatedAt?: string;
            /**
             * Format: uri
             * @description The absolute invoke URL: `{base}/{org}/{tenant}/orchestrator_/t/{folderKey}/{slug}`.
             */
            readonly invokeUrl?: string;
        };
        /** @description The fields to change (a new processName must name a process of the trigger's folder). Read-only fields are ignored. */
        TriggerPatch: {
            /** @description 1-128 characters, without '/', '\' or control characters. */
            name?: string;
            /**
             * @description Unique in the tenant: 1-128 letters, digits, '-', '_' or '.'; no '/'.
             * @example invoice-approval
             */
            slug?: string;
            /** @enum {string} */
            verb?: "GET" | "POST" | "PUT" | "DELETE";
            /** @description The name of a process in the trigger's folder. */
            processName?: string;
            /**
             * @description The default call mode; a caller may override it with `$callMode`.
             * @enum {string}
             */
            callMode?: "AsyncRequestReply" | "FireAndForget" | "LongPolling";
            /** @description Argument defaults: they override the process's defaults and are overridden by the request. No key starts with `$`. */
            defaultArguments?: {
                [key: string]: unknown;
            };
            /**
             * @description Inherit (the default): the process's priority.
             * @enum {string}
             */
            priority?: "Inherit" | "Low" | "Normal" | "High";
            /** @description A disabled trigger answers 409 trigger-disabled. */
            enabled?: boolean;
            /**
             * Format: uuid
             * @description Assigned by the orchestrator; the `triggerId` of the jobs it creates.
             */
            readonly id?: string;
            /**
             * Format: uuid
             * @description The folder of the trigger and of its process.
             */
            readonly folderKey?: string;
            /**
             * Format: date-time
             * @description When the trigger was created.
             */
            readonly createdAt?: string;
            /**
             * Format: date-time
             * @description When the trigger was last changed.
             */
            readonly updatedAt?: string;
            /**
             * Format: uri
             * @description The absolute invoke URL: `{base}/{org}/{tenant}/orchestrator_/t/{folderKey}/{slug}`.
             */
            readonly invokeUrl?: string;
        };
        TenantSettings: {
            /**
             * @description When false, the wait URIs LongPolling hands out are signed (`exp`, `sig`) and need no token.
             * @default true
             */
            syncRedirectsRequireAuth: boolean;
            /**
             * @description How long one LongPolling request or wait request blocks before redirecting to the wait URI (303, or `redirectStatusCode`). `longPollTimeoutSeconds` × 20 must be at least `syncMaxJobDurationSeconds` (fetch follows at most 20 redirects); a change that breaks this is 400 invalid-settings.
             * @default 50
             */
            longPollTimeoutSeconds: number;
            /**
             * @description LongPolling jobs running longer are killed and end Faulted with code MaxDurationExceeded. At most `longPollTimeoutSeconds` × 20, so 1800 with the longest long-poll (90 s).
             * @default 900
             */
            syncMaxJobDurationSeconds: number;
            /**
             * @description Origins allowed to call the tenant's endpoints from a browser.
             * @default []
             */
            corsAllowedOrigins: string[];
            /**
             * @description Larger invocation bodies, and robot protocol bodies larger than the greater of this and 65536, are answered 413 payload-too-large.
             * @default 1048576
             */
            maxRequestBodyBytes: number;
            /**
             * @description Final jobs older than this are purged.
             * @default 30
             */
            jobRetentionDays: number;
            /**
             * @description How long an Idempotency-Key is remembered after the call that first sent it; a later call with the key then creates a new job.
             * @default 24
             */
            idempotencyKeyRetentionHours: number;
            /**
             * @description Requests a minute one token may make in the tenant (invocations, status, management), counted on each node; past it, 429 rate-limited with Retry-After. 0: unlimited.
             * @default 0
             */
            rateLimitPerTokenPerMinute: number;
            /**
             * @description Invocations a minute of one API trigger, whoever calls it, counted on each node; past it, 429 rate-limited with Retry-After. 0: unlimited.
             * @default 0
             */
            rateLimitPerTriggerPerMinute: number;
            /**
             * @description The status of the call modes' redirects: the status URI to the output URI, a LongPolling invocation to the wait URI, the wait URI to itself. 303 See Other, or 302 Found for clients written to compare with 302 (fetch and browsers repeat a PUT or DELETE after a 302: keep 303 for such LongPolling triggers).
             * @default 303
             * @enum {integer}
             */
            redirectStatusCode: 303 | 302;
        };
        /** @description Any settings to change; the others keep their value. An unknown setting is 400 invalid-settings. */
        TenantSettingsPatch: {
            /**
             * @description When false, the wait URIs LongPolling hands out are signed (`exp`, `sig`) and need no token.
             * @default true
             */
            syncRedirectsRequireAuth?: boolean;
            /**
             * @description How long one LongPolling request or wait request blocks before redirecting to the wait URI (303, or `redirectStatusCode`). `longPollTimeoutSeconds` × 20 must be at least `syncMaxJobDurationSeconds` (fetch follows at most 20 redirects); a change that breaks this is 400 invalid-settings.
             * @default 50
             */
            longPollTimeoutSeconds?: number;
            /**
             * @description LongPolling jobs running longer are killed and end Faulted with code MaxDurationExceeded. At most `longPollTimeoutSeconds` × 20, so 1800 with the longest long-poll (90 s).
             * @default 900
             */
            syncMaxJobDurationSeconds?: number;
            /**
             * @description Origins allowed to call the tenant's endpoints from a browser.
             * @default []
             */
            corsAllowedOrigins?: string[];
            /**
             * @description Larger invocation bodies, and robot protocol bodies larger than the greater of this and 65536, are answered 413 payload-too-large.
             * @default 1048576
             */
            maxRequestBodyBytes?: number;
            /**
             * @description Final jobs older than this are purged.
             * @default 30
             */
            jobRetentionDays?: number;
            /**
             * @description How long an Idempotency-Key is remembered after the call that first sent it; a later call with the key then creates a new job.
             * @default 24
             */
            idempotencyKeyRetentionHours?: number;
            /**
             * @description Requests a minute one token may make in the tenant (invocations, status, management), counted on each node; past it, 429 rate-limited with Retry-After. 0: unlimited.
             * @default 0
             */
            rateLimitPerTokenPerMinute?: number;
            /**
             * @description Invocations a minute of one API trigger, whoever calls it, counted on each node; past it, 429 rate-limited with Retry-After. 0: unlimited.
             * @default 0
             */
            rateLimitPerTriggerPerMinute?: number;
            /**
             * @description The status of the call modes' redirects: the status URI to the output URI, a LongPolling invocation to the wait URI, the wait URI to itself. 303 See Other, or 302 Found for clients written to compare with 302 (fetch and browsers repeat a PUT or DELETE after a 302: keep 303 for such LongPolling triggers).
             * @default 303
             * @enum {integer}
             */
            redirectStatusCode?: 303 | 302;
        };
        TimeTrigger: {
            /**
             * Format: uuid
             * @description Assigned by the orchestrator; the `timeTriggerId` of the jobs it starts.
             */
            readonly id: string;
            /**
             * Format: uuid
             * @description The folder of the trigger and of its process.
             */
            readonly folderKey: string;
            /** @description Unique in the folder. 1-128 characters, without '/', '\', control characters or surrounding whitespace. */
            name: string;
            /** @description The name of a process in the trigger's folder. */
            processName: string;
            /**
             * @description 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first; croner's syntax (`L`, `W`, `#`, names, `@daily`, …). Day-of-month and day-of-week combine with OR.
             * @example 30 2 * * *
             * @example 0 *\/15 * * * *
             * @example 0 9 * * MON-FRI
             */
            cron: string;
            /**
             * @description An IANA time zone; daylight-saving changes fire as croner defines them.
             * @default UTC
             * @example UTC
             * @example Europe/Berlin
             */
            timeZone: string;
            /** @description The cron in words, for common shapes ("At 02:30, every day (Europe/Berlin)"); null otherwise. */
            readonly description: string | null;
            /**
             * @description Input arguments of each job, over the process's defaults. No key starts with `$`.
             * @default {}
             */
            arguments: {
                [key: string]: unknown;
            };
            /**
             * @description Inherit (the default): the process's priority.
             * @enum {string}
             */
            priority: "Inherit" | "Low" | "Normal" | "High";
            /**
             * @description A disabled trigger fires nothing and has nothing due; enabling it schedules from now (no backlog).
             * @default true
             */
            enabled: boolean;
            /**
             * @description Slots missed while every node was down: Skip (the default) creates no job for them, RunOnce one job for all of them. Then the trigger goes on from its next slot.
             * @enum {string}
             */
            missedRunPolicy: "Skip" | "RunOnce";
            /** @description The slot it fires next; null while disabled. */
            readonly nextRunAt: string | null;
            /**
             * Format: date-time
             * @description When the trigger was created.
             */
            readonly createdAt: string;
            /**
             * Format: date-time
             * @description When the trigger was last changed.
             */
            readonly updatedAt: string;
        };
        TimeTriggerPage: {
            items: components["schemas"]["TimeTrigger"][];
            /** @description This list is not paginated yet: always null. */
            nextCursor: string | null;
        };
        /** @description Read-only fields are ignored, so a fetched trigger can be sent back; any other unknown field is 400 invalid-time-trigger. */
        TimeTriggerInput: {
            /** @description Unique in the folder. 1-128 characters, without '/', '\', control characters or surrounding whitespace. */
            name: string;
            /** @description The name of a process in the trigger's folder. */
            processName: string;
            /**
             * @description 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first; croner's syntax (`L`, `W`, `#`, names, `@daily`, …). Day-of-month and day-of-week combine with OR.
             * @example 30 2 * * *
             * @example 0 *\/15 * * * *
             * @example 0 9 * * MON-FRI
             */
            cron: string;
            /**
             * @description An IANA time zone; daylight-saving changes fire as croner defines them.
             * @default UTC
             * @example UTC
             * @example Europe/Berlin
             */
            timeZone?: string;
            /**
             * @description Input arguments of each job, over the process's defaults. No key starts with `$`.
             * @default {}
             */
            arguments?: {
                [key: string]: unknown;
            };
            /**
             * @description Inherit (the default): the process's priority.
             * @enum {string}
             */
            priority?: "Inherit" | "Low" | "Normal" | "High";
            /**
             * @description A disabled trigger fires nothing and has nothing due; enabling it schedules from now (no backlog).
             * @default true
             */
            enabled?: boolean;
            /**
             * @description Slots missed while every node was down: Skip (the default) creates no job for them, RunOnce one job for all of them. Then the trigger goes on from its next slot.
             * @enum {string}
             */
            missedRunPolicy?: "Skip" | "RunOnce";
            /**
             * Format: uuid
             * @description Assigned by the orchestrator; the `timeTriggerId` of the jobs it starts.
             */
            readonly id?: string;
            /**
             * Format: uuid
             * @description The folder of the trigger and of its process.
             */
            readonly folderKey?: string;
            /** @description The cron in words, for common shapes ("At 02:30, every day (Europe/Berlin)"); null otherwise. */
            readonly description?: string | null;
            /** @description The slot it fires next; null while disabled. */
            readonly nextRunAt?: string | null;
            /**
             * Format: date-time
             * @description When the trigger was created.
             */
            readonly createdAt?: string;
            /**
             * Format: date-time
             * @description When the trigger was last changed.
             */
            readonly updatedAt?: string;
        };
        /** @description The fields to change; `{ enabled: false }` disables it. A new cron, time zone or enabling schedules from now. */
        TimeTriggerPatch: {
            /** @description Unique in the folder. 1-128 characters, without '/', '\', control characters or surrounding whitespace. */
            name?: string;
            /** @description The name of a process in the trigger's folder. */
            processName?: string;
            /**
             * @description 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first; croner's syntax (`L`, `W`, `#`, names, `@daily`, …). Day-of-month and day-of-week combine with OR.
             * @example 30 2 * * *
             * @example 0 *\/15 * * * *
             * @example 0 9 * * MON-FRI
             */
            cron?: string;
            /**
             * @description An IANA time zone; daylight-saving changes fire as croner defines them.
             * @default UTC
             * @example UTC
             * @example Europe/Berlin
             */
            timeZone?: string;
            /**
             * @description Input arguments of each job, over the process's defaults. No key starts with `$`.
             * @default {}
             */
            arguments?: {
                [key: string]: unknown;
            };
            /**
             * @description Inherit (the default): the process's priority.
             * @enum {string}
             */
            priority?: "Inherit" | "Low" | "Normal" | "High";
            /**
             * @description A disabled trigger fires nothing and has nothing due; enabling it schedules from now (no backlog).
             * @default true
             */
            enabled?: boolean;
            /**
             * @description Slots missed while every node was down: Skip (the default) creates no job for them, RunOnce one job for all of them. Then the trigger goes on from its next slot.
             * @enum {string}
             */
            missedRunPolicy?: "Skip" | "RunOnce";
            /**
             * Format: uuid
             * @description Assigned by the orchestrator; the `timeTriggerId` of the jobs it starts.
             */
            readonly id?: string;
            /**
             * Format: uuid
             * @description The folder of the trigger and of its process.
             */
            readonly folderKey?: string;
            /** @description The cron in words, for common shapes ("At 02:30, every day (Europe/Berlin)"); null otherwise. */
            readonly description?: string | null;
            /** @description The slot it fires next; null while disabled. */
            readonly nextRunAt?: string | null;
            /**
             * Format: date-time
             * @description When the trigger was created.
             */
            readonly createdAt?: string;
            /**
             * Format: date-time
             * @description When the trigger was last changed.
             */
            readonly updatedAt?: string;
        };
        TimeTriggerPreview: {
            /** @description The cron in words, for common shapes; null otherwise. */
            description: string | null;
            items: {
                /**
                 * Format: date-time
                 * @description A slot, in UTC.
                 */
                at: string;
                /**
                 * @description The same instant on the wall clock of the trigger's time zone, with its offset.
                 * @example 2027-03-28T03:00:00+02:00
                 */
                localTime: string;
            }[];
        };
        /**
         * @description `OR.X` grants read and write on X; `OR.X.Read` and `OR.X.Write` one of them.
         * @enum {string}
         */
        Scope: "OR.Jobs" | "OR.Jobs.Read" | "OR.Jobs.Write" | "OR.Execution" | "OR.Execution.Read" | "OR.Execution.Write" | "OR.Folders" | "OR.Folders.Read" | "OR.Folders.Write" | "OR.Robots" | "OR.Robots.Read" | "OR.Robots.Write" | "OR.Settings" | "OR.Settings.Read" | "OR.Settings.Write" | "OR.Users" | "OR.Users.Read" | "OR.Users.Write" | "OR.Audit" | "OR.Audit.Read" | "OR.Audit.Write";
        PersonalAccessToken: {
            /** Format: uuid */
            id: string;
            userId: string | null;
            name: string;
            scopes: components["schemas"]["Scope"][];
            /** Format: date-time */
            createdAt: string;
            expiresAt: string | null;
            revokedAt: string | null;
            lastUsedAt: string | null;
        };
        PersonalAccessTokenPage: {
            items: components["schemas"]["PersonalAccessToken"][];
            /** @description This list is not paginated yet: always null. */
            nextCursor: string | null;
        };
        CreatedPersonalAccessToken: {
            /** Format: uuid */
            id: string;
            userId: string | null;
            name: string;
            scopes: components["schemas"]["Scope"][];
            /** Format: date-time */
            createdAt: string;
            expiresAt: string | null;
            revokedAt: string | null;
            lastUsedAt: string | null;
            /** @description The secret: shown only in this answer; only its hash is stored. */
            token: string;
        };
        /** @description Unknown fields are ignored. */
        CreateToken: {
            /** @description 1-200 characters, not only whitespace. */
            name: string;
            /** @description At least one of the scopes (`Scope`); none wider than the caller's own credential's. */
            scopes: string[];
            /** @description An ISO 8601 date-time in the future; null or absent for a token that does not expire. */
            expiresAt?: string | null;
        } & {
            [key: string]: unknown;
        };
        Tenant: {
            /** Format: uuid */
            id: string;
            name: string;
        };
        TenantPage: {
            items: components["schemas"]["Tenant"][];
            /** @description This list is not paginated yet: always null. */
            nextCursor: string | null;
        };
        /** @description Unknown fields are ignored. */
        TenantInput: {
            /** @description 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit. */
            name: string;
        } & {
            [key: string]: unknown;
        };
        ExternalApp: {
            /** Format: uuid */
            id: string;
            name: string;
            /** @description The application's client id (not a secret). */
            clientId: string;
            /** @description The name of the tenant the application's tokens are valid in. */
            tenant: string;
            /** @description The scopes its tokens may carry. */
            scopes: components["schemas"]["Scope"][];
            /** Format: date-time */
            createdAt: string;
            /** @description The last rotation of the secret: tokens obtained before it are no longer accepted. */
            secretRotatedAt: string | null;
            /** @description Revoked: no new tokens, and its tokens are no longer accepted. */
            revokedAt: string | null;
        };
        ExternalAppPage: {
            items: components["schemas"]["ExternalApp"][];
            /** @description This list is not paginated yet: always null. */
            nextCursor: string | null;
        };
        /** @description Unknown fields are ignored. */
        CreateExternalApp: {
            /** @description Unique in the organization (a revoked application keeps its name): 1-128 letters, digits, spaces, '-', '_', '.' or '@', starting with a letter or digit. */
            name: string;
            /** @description The name of a tenant of the organization: the application's tokens are valid there only. */
            tenant: string;
            /** @description At least one scope (`Scope`): the most its tokens may carry; a token request may ask for fewer. */
            scopes: string[];
        } & {
            [key: string]: unknown;
        };
        CreatedExternalApp: {
            /** Format: uuid */
            id: string;
            name: string;
            /** @description The application's client id (not a secret). */
            clientId: string;
            /** @description The name of the tenant the application's tokens are valid in. */
            tenant: string;
            /** @description The scopes its tokens may carry. */
            scopes: components["schemas"]["Scope"][];
            /** Format: date-time */
            createdAt: string;
            /** @description The last rotation of the secret: tokens obtained before it are no longer accepted. */
            secretRotatedAt: string | null;
            /** @description Revoked: no new tokens, and its tokens are no longer accepted. */
            revokedAt: string | null;
            /** @description The client secret: shown only in this answer; only its hash is stored. */
            clientSecret: string;
            /**
             * Format: uri
             * @description The organization's token endpoint, `{origin}/{org}/identity_/connect/token`.
             */
            tokenUrl: string;
        };
        RotatedExternalAppSecret: {
            /** @description The application's client id (not a secret). */
            clientId: string;
            /** @description The client secret: shown only in this answer; only its hash is stored. */
            clientSecret: string;
            /** Format: date-time */
            secretRotatedAt: string;
        };
        /** @description RFC 6749 §4.4.2. Each parameter at most once; unknown parameters are ignored. */
        TokenRequest: {
            /** @constant */
            grant_type: "client_credentials";
            /** @description With client_secret, unless the client authenticates with HTTP Basic. */
            client_id?: string;
            /** @description Not with HTTP Basic: one client authentication method per request. */
            client_secret?: string;
            /** @description Space-separated scopes, each granted to the application (`OR.X.Read` and `OR.X.Write` are granted by `OR.X`); absent: all of the application's. */
            scope?: string;
        } & {
            [key: string]: unknown;
        };
        AccessTokenResponse: {
            /** @description A JWT (`typ: at+jwt`, ES256) with `iss` (the organization's identity URL), `sub` and `client_id` (the client id), `aud: baton`, `tenant_id`, `scope`, `jti`, `iat`, `exp`. Send it as `Authorization: Bearer`; treat it as opaque. */
            access_token: string;
            /** @constant */
            token_type: "Bearer";
            /**
             * @description Seconds: one hour.
             * @constant
             */
            expires_in: 3600;
            /** @description The granted scopes, space-separated. */
            scope: string;
        };
        /** @description RFC 6749 §5.2 (application/json, not problem+json). */
        OAuthError: {
            /** @enum {string} */
            error: "invalid_request" | "invalid_client" | "invalid_scope" | "unsupported_grant_type";
            /** @description For people; never holds a secret. */
            error_description?: string;
        };
        /** @description Unknown fields are ignored. */
        OpenSession: {
            /** @description Defaults to the robot key's name. No control, bidirectional or zero-width characters. */
            robotName?: string;
            /** @description The process names this robot can run (at most 1,000). */
            processes: string[];
            /** @description How many jobs it runs at once. */
            slots: number;
            /** @description The robot's version, shown with its session. */
            version?: string | null;
        } & {
            [key: string]: unknown;
        };
        OpenedSession: {
            /** Format: uuid */
            sessionId: string;
            /** @description Heartbeat this often. */
            heartbeatSeconds: number;
            /** @description A session not heard from for this long is lost, with its jobs. */
            leaseSeconds: number;
            /** Format: date-time */
            leaseExpiresAt: string;
            /** @description The largest request body this session may send (the tenant's maxRequestBodyBytes, at least 64 KiB); a larger one is answered 413 payload-too-large. Size result and log batches by it. */
            maxRequestBodyBytes: number;
        };
        /** @description No body is `{}`. Unknown fields are ignored. */
        ClaimRequest: {
            /**
             * @description At most this many jobs (null or absent: 1).
             * @default 1
             */
            max?: number | null;
            /**
             * @description Long-poll: how long to wait for a job when none is available (null or absent: 30).
             * @default 30
             */
            waitSeconds?: number | null;
        } & {
            [key: string]: unknown;
        };
        /** @description A job as a robot receives it: now Running and held by the session. */
        RobotJob: {
            /** Format: uuid */
            key: string;
            /** Format: uuid */
            folderKey: string;
            processName: string;
            inputArguments: components["schemas"]["Arguments"];
            /** @description 1 for the first run; more when the job is retried. */
            attempt: number;
            priority: components["schemas"]["Priority"];
            callMode: components["schemas"]["CallMode"];
            /** Format: date-time */
            createdAt: string;
            /** @description When the orchestrator kills the job (maxDurationSeconds, or LongPolling's syncMaxJobDurationSeconds), if ever. */
            deadlineAt: string | null;
        };
        ClaimedJobs: {
            /** @description Empty when the wait ended with no job. */
            jobs: components["schemas"]["RobotJob"][];
        };
        /** @description No body is `{}`. Unknown fields are ignored. */
        HeartbeatRequest: {
            /**
             * @description Every job the robot holds, by key, with an info line (or null); a line is stored as a log line and as the job's `info`. Null or absent: none.
             * @default {}
             */
            jobs?: {
                [key: string]: string | null;
            } | null;
            /**
             * @description At most half the lease (leaseSeconds / 2). With nothing to tell yet, wait this long for a stop or kill request of this session (null or absent: 0).
             * @default 0
             */
            waitSeconds?: number | null;
        } & {
            [key: string]: unknown;
        };
        HeartbeatAnswer: {
            /**
             * Format: date-time
             * @description The session's new lease: heartbeat again before it.
             */
            leaseExpiresAt: string;
            /** @description Jobs to soft-stop (SIGTERM, abort the signal); report them `stopped` (or their result if they finish first). */
            stop: string[];
            /** @description Jobs to kill at once; report them `stopped`. */
            kill: string[];
            /** @description Jobs the robot reported (the keys as it sent them) that are no longer this session's: drop them, their results would be refused (409 job-not-held). */
            lost: string[];
        };
        /** @description Unknown fields are ignored. */
        JobLogLines: {
            lines: ({
                /** @description Cut to 10,000 characters. */
                message: string;
                /**
                 * @default info
                 * @enum {string}
                 */
                level?: "info" | "error";
                /**
                 * @description An ISO 8601 date-time (or date) of the years 0001-9999, stored normalized to UTC. Defaults to when the orchestrator received the line.
                 * @example 2026-01-02T03:04:05.678Z
                 */
                at?: string;
            } & {
                [key: string]: unknown;
            })[];
        } & {
            [key: string]: unknown;
        };
        /** @description No body completes with `{}`. Unknown fields are ignored. */
        CompleteJob: {
            /**
             * @description A JSON object, checked against the process's output schema: a mismatch ends the job Faulted (OutputSchemaViolation). Null or absent: `{}`.
             * @default {}
             */
            outputArguments?: {
                [key: string]: unknown;
            } | null;
        } & {
            [key: string]: unknown;
        };
        /** @description No body fails with ProcessFailed. Unknown fields are ignored. */
        FailJob: {
            error?: {
                /**
                 * @description Cut to 200 characters.
                 * @default ProcessFailed
                 */
                code?: string;
                /**
                 * @description Cut to 10,000 characters.
                 * @default The process failed.
                 */
                message?: string;
                /** @description Any JSON value. */
                details?: unknown;
                /**
                 * @description false: trying again cannot help; the job ends Faulted at once, whatever attempts its process's retry policy has left.
                 * @default true
                 */
                retryable?: boolean;
            } & {
                [key: string]: unknown;
            };
        } & {
            [key: string]: unknown;
        };
        /** @description Unknown fields are ignored. */
        ResultsRequest: {
            results: ({
                /** @description The key of a job the session holds. */
                jobKey: string;
                /** @enum {string} */
                outcome: "complete" | "fail" | "stopped";
                /** @description With outcome complete (absent: `{}`). */
                outputArguments?: {
                    [key: string]: unknown;
                };
                /** @description With outcome fail: { code, message, details, retryable }. */
                error?: {
                    /**
                     * @description Cut to 200 characters.
                     * @default ProcessFailed
                     */
                    code?: string;
                    /**
                     * @description Cut to 10,000 characters.
                     * @default The process failed.
                     */
                    message?: string;
                    /** @description Any JSON value. */
                    details?: unknown;
                    /**
                     * @description false: trying again cannot help; the job ends Faulted at once, whatever attempts its process's retry policy has left.
                     * @default true
                     */
                    retryable?: boolean;
                } & {
                    [key: string]: unknown;
                };
            } & {
                [key: string]: unknown;
            })[];
        } & {
            [key: string]: unknown;
        };
        ResultsAnswer: {
            /** @description One answer per result, in order: the status the single-result route would have given. */
            results: {
                jobKey: string;
                /**
                 * @description The status the single-result route would have given.
                 * @enum {integer}
                 */
                status: 204 | 400 | 404 | 409;
                /** @description When refused, e.g. job-not-held. */
                code?: string;
                detail?: string;
            }[];
        };
        RobotKey: {
            /** Format: uuid */
            id: string;
            /** @description 1-128 letters, digits, '-', '_', '.' or '@', starting with a letter or digit; unique in the tenant. */
            name: string;
            /** Format: date-time */
            createdAt: string;
            /** @description The last rotation of the key (POST /robots/{id}/rotate); the key issued before it no longer works. */
            rotatedAt: string | null;
            /** @description The folders whose jobs the robot may run (set at creation); null: every folder of the tenant. */
            folderKeys: string[] | null;
            revokedAt: string | null;
        };
        RobotKeyPage: {
            items: components["schemas"]["RobotKey"][];
            /** @description This list is not paginated yet: always null. */
            nextCursor: string | null;
        };
        CreatedRobotKey: {
            /** Format: uuid */
            id: string;
            /** @description 1-128 letters, digits, '-', '_', '.' or '@', starting with a letter or digit; unique in the tenant. */
            name: string;
            /** Format: date-time */
            createdAt: string;
            /** @description The last rotation of the key (POST /robots/{id}/rotate); the key issued before it no longer works. */
            rotatedAt: string | null;
            /** @description The folders whose jobs the robot may run (set at creation); null: every folder of the tenant. */
            folderKeys: string[] | null;
            revokedAt: string | null;
            /** @description The robot key: shown only in this answer; only its hash is stored. */
            key: string;
        };
        RotatedRobotKey: {
            /** Format: uuid */
            id: string;
            /** @description 1-128 letters, digits, '-', '_', '.' or '@', starting with a letter or digit; unique in the tenant. */
            name: string;
            /** Format: date-time */
            createdAt: string;
            /** @description The last rotation of the key (POST /robots/{id}/rotate); the key issued before it no longer works. */
            rotatedAt: string | null;
            /** @description The folders whose jobs the robot may run (set at creation); null: every folder of the tenant. */
            folderKeys: string[] | null;
            revokedAt: string | null;
            /** @description The new robot key: shown only in this answer; the previous key no longer works. */
            key: string;
        };
        /** @description Unknown fields are ignored. folderKeys limits the robot to the jobs of those folders. */
        RobotKeyInput: {
            /** @description 1-128 letters, digits, '-', '_', '.' or '@', starting with a letter or digit; unique in the tenant. */
            name: string;
            /** @description The folders whose jobs the robot may run: a non-empty list of folder keys; null or absent: every folder. */
            folderKeys?: string[] | null;
        } & {
            [key: string]: unknown;
        };
        RobotSession: {
            /** Format: uuid */
            id: string;
            /** @description The robot key the session was opened with; null for the in-process robot. */
            robotKeyId: string | null;
            /** @description The folders whose jobs the session runs (its robot key's); null: every folder. */
            folderKeys: string[] | null;
            robotName: string;
            /** @description The robot's version, as it announced it. */
            version: string | null;
            /** @description The process names the session serves. */
            processes: string[];
            /** @description How many jobs the session runs at once. */
            slots: number;
            /** @description How many jobs the session holds now (Running, Stopping or Terminating). */
            slotsInUse: number;
            /**
             * Format: date-time
             * @description When the robot was last heard from: its last heartbeat, or the session's opening.
             */
            lastHeartbeatAt: string;
            /**
             * Format: date-time
             * @description The session ends, and loses its jobs, unless a heartbeat comes before this.
             */
            leaseExpiresAt: string;
            /** Format: date-time */
            createdAt: string;
        };
        RobotSessionPage: {
            items: components["schemas"]["RobotSession"][];
            /** @description This list is not paginated yet: always null. */
            nextCursor: string | null;
        };
        /**
         * @description What a user may do (Permissions.ts). Folder permissions (Folders.View, Processes.*, Triggers.*, Jobs.*) can be granted in one folder; the others only tenant-wide.
         * @enum {string}
         */
        Permission: "Folders.View" | "Folders.Edit" | "Processes.View" | "Processes.Edit" | "Triggers.View" | "Triggers.Edit" | "Jobs.View" | "Jobs.Create" | "Jobs.Edit" | "Robots.View" | "Robots.Edit" | "Users.View" | "Users.Edit" | "Settings.View" | "Settings.Edit" | "Audit.View";
        /**
         * @description Administrator: every permission. Automation Developer and Viewer: see GET /api/v1/roles.
         * @enum {string}
         */
        RoleName: "Administrator" | "Automation Developer" | "Viewer";
        /** @description One grant of a role: tenant-wide, or in one folder. */
        RoleAssignment: {
            role: components["schemas"]["RoleName"];
            /** @description null (or absent, in a request): the role is granted tenant-wide. A folder's key: only the role's folder permissions, only in that folder. */
            folderKey: string | null;
        };
        /** @description A folderKey must be a folder of the tenant (400 invalid-user otherwise). Unknown fields are ignored. */
        RoleAssignmentInput: {
            role: components["schemas"]["RoleName"];
            /** @description null (or absent, in a request): the role is granted tenant-wide. A folder's key: only the role's folder permissions, only in that folder. */
            folderKey?: string | null;
        } & {
            [key: string]: unknown;
        };
        Role: {
            name: components["schemas"]["RoleName"];
            /** @description Granted tenant-wide; in a folder, only the folder permissions among them. */
            permissions: components["schemas"]["Permission"][];
        };
        RolePage: {
            items: components["schemas"]["Role"][];
            /** @description This list is not paginated yet: always null. */
            nextCursor: string | null;
        };
        User: {
            /** Format: uuid */
            id: string;
            /** @description 1-128 letters, digits, '-', '_', '.' or '@', starting with a letter or digit; unique among the tenant's and the organization's users. */
            name: string;
            /** @description An administrator of the organization: every permission in every tenant, limited by scopes only. */
            orgAdmin: boolean;
            /** @description A user of the organization (like the first user, `admin`), not of this tenant: it cannot be changed or deleted here (409 user-of-organization). */
            organizationUser: boolean;
            /** @description The user's grants in this tenant. */
            roles: components["schemas"]["RoleAssignment"][];
            /** @description A disabled user cannot log in, and its tokens and sessions are refused (401). */
            disabled: boolean;
            disabledAt: string | null;
            /** Format: date-time */
            createdAt: string;
        };
        UserPage: {
            items: components["schemas"]["User"][];
            /** @description This list is not paginated yet: always null. */
            nextCursor: string | null;
        };
        /** @description A user of this tenant. Unknown fields are ignored. */
        CreateUser: {
            /** @description 1-128 letters, digits, '-', '_', '.' or '@', starting with a letter or digit; unique among the tenant's and the organization's users. */
            name: string;
            /** @description 8 to 1024 characters; stored only as an scrypt hash. */
            password: string;
            /** @default [] */
            roles?: components["schemas"]["RoleAssignmentInput"][];
        } & {
            [key: string]: unknown;
        };
        /** @description The fields to change; unknown fields (name cannot be changed) are ignored. */
        UpdateUser: {
            /** @description A new password; the user's console sessions end. */
            password?: string;
            /** @description Replaces all the user's grants. */
            roles?: components["schemas"]["RoleAssignmentInput"][];
            /** @description true: the user cannot log in, its console sessions end and its tokens are refused; false: enabled again. */
            disabled?: boolean;
        } & {
            [key: string]: unknown;
        };
        Login: {
            userName: string;
            password: string;
        } & {
            [key: string]: unknown;
        };
        PasswordChange: {
            currentPassword: string;
            /** @description 8 to 1024 characters. */
            newPassword: string;
        } & {
            [key: string]: unknown;
        };
        ConsoleSession: {
            user: {
                /** Format: uuid */
                id: string;
                /** @description 1-128 letters, digits, '-', '_', '.' or '@', starting with a letter or digit; unique among the tenant's and the organization's users. */
                name: string;
                /** @description An administrator of the organization: every permission in every tenant, limited by scopes only. */
                orgAdmin: boolean;
                /** @description The user's grants in this tenant. */
                roles: components["schemas"]["RoleAssignment"][];
            };
            /** @description What the user may do in this tenant. */
            permissions: {
                /** @description Granted tenant-wide (every permission for an organization administrator). */
                tenant: components["schemas"]["Permission"][];
                /** @description Granted in single folders, by folder key. */
                folders: {
                    [key: string]: components["schemas"]["Permission"][];
                };
            };
            /** @description Send it as `X-CSRF-Token` with every change (any method but GET, HEAD and OPTIONS) made with the session cookie. */
            csrfToken: string;
            /**
             * Format: date-time
             * @description Only in the login's answer: when the session ends (12 hours after the login).
             */
            expiresAt?: string;
        };
    };
    responses: {
        /** @description No token, or a token (or robot key) that is not valid here: malformed, unknown, expired, revoked, of another tenant, of a disabled user; a console session that ended, expired or belongs to another tenant; or a wrong or expired wait URI signature. Codes: `unauthorized`. */
        Unauthorized: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                "WWW-Authenticate": components["headers"]["WWWAuthenticate"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description The token lacks the scope. Codes: `insufficient-scope`. */
        InsufficientScope: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["InsufficientScopeProblem"];
            };
        };
        /** @description The tenant's rate limit is used up on this node: the token's `rateLimitPerTokenPerMinute`, or, for invocations, the trigger's `rateLimitPerTriggerPerMinute`. Retry after `Retry-After` seconds. Codes: `rate-limited`. */
        RateLimited: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                "Retry-After": components["headers"]["RetryAfter"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["RateLimitedProblem"];
            };
        };
        /** @description The method is not the trigger's verb. Codes: `method-not-allowed`. */
        MethodNotAllowed: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                Allow: components["headers"]["Allow"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description The body is over the limit (1 MiB for the management API). Codes: `payload-too-large`. */
        PayloadTooLarge: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
            };
        };
        /** @description The body is not JSON, or is in a Content-Encoding other than identity. Codes: `unsupported-media-type`, `unsupported-content-encoding`. */
        UnsupportedMediaType: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description An unexpected error; it has been logged (no details are sent). Codes: `internal-error`. */
        InternalError: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description The job store is unreachable, or this node is shutting down; retry after `Retry-After` seconds. Codes: `store-unavailable`, `shutting-down`. */
        StoreUnavailable: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                "Retry-After": components["headers"]["RetryAfter"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: {
        /** @description The request's id: the caller's `X-Request-Id` when it is 1-128 of `[A-Za-z0-9_.-]`, otherwise a new UUID. */
        XRequestId: string;
        /** @description An absolute URI, built from `BATON_PUBLIC_URL` when set, else from the request. */
        Location: string;
        /** @description Seconds. */
        RetryAfter: number;
        /** @description `true` on the answer to a request repeated with its Idempotency-Key: no job was created, the answer is for the first request's job. */
        IdempotentReplayed: "true";
        /** @description `Bearer realm="baton"`. */
        WWWAuthenticate: string;
        /** @description The trigger's verb. */
        Allow: "GET" | "POST" | "PUT" | "DELETE";
        /** @description The console session cookie. */
        SetSessionCookie: string;
    };
    pathItems: never;
}
