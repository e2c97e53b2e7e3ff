import { BatonApiError, BatonClient } from "baton";

const admin = new BatonClient({
  url: process.env.BATON_URL ?? "http://127.0.0.1:8080/default/DefaultTenant",
  token: process.env.BATON_TOKEN,
});

// A token for one integration: it may invoke triggers and read its jobs, nothing else,
// and it expires in an hour. The secret is shown only in this answer.
const created = await admin.tokens.create({
  name: "invoice-integration",
  scopes: ["OR.Jobs"],
  expiresAt: new Date(Date.now() + 60 * 60 * 1000),
});

// Without OR.Execution.Read it cannot look a slug up: give it the trigger's invoke URL.
const echo = await admin.triggers.bySlug("echo");
if (!echo) throw new Error("the demo trigger 'echo' is missing");
const integration = new BatonClient({ url: admin.url, token: created.token });
console.log("output:", JSON.stringify(await integration.invoke(echo.invokeUrl, { invoice: 42 }, { callMode: "LongPolling" })));

// Revoked, the token is refused: 401 unauthorized.
await admin.tokens.revoke(created.id);
try {
  await integration.invoke(echo.invokeUrl, { invoice: 43 }, { callMode: "LongPolling" });
} catch (err) {
  if (!(err instanceof BatonApiError)) throw err;
  console.log(`revoked: ${err.status} ${err.code}`);
}
