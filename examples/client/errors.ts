import { BatonApiError, BatonClient, JobFaultedError, JobStoppedError, TimeoutError } from "baton";

const client = new BatonClient({
  url: process.env.BATON_URL ?? "http://127.0.0.1:8080/default/DefaultTenant",
  token: process.env.BATON_TOKEN,
});

// A job that ends Faulted rejects with JobFaultedError: `error` is the job's error.
try {
  await client.invoke("fail", { message: "out of paper" }, { callMode: "LongPolling" });
} catch (err) {
  if (!(err instanceof JobFaultedError)) throw err;
  console.log(`Faulted: ${err.error.code}: ${err.error.message} (job ${err.jobKey})`);
}

// A job stopped while the caller waits rejects with JobStoppedError. onState gives the
// job's key as soon as it is known.
try {
  await client.invoke("sleep", { seconds: 60 }, {
    callMode: "AsyncRequestReply",
    onState: (state, _elapsedMs, { jobKey }) => {
      if (state === "Running" && jobKey) void client.jobs.stop(jobKey, "SoftStop");
    },
  });
} catch (err) {
  if (!(err instanceof JobStoppedError)) throw err;
  console.log(`Stopped: job ${err.jobKey}`);
}

// Every error answer of the API is a BatonApiError with the problem's stable `code`.
try {
  await client.invoke("no-such-trigger", {});
} catch (err) {
  if (!(err instanceof BatonApiError)) throw err;
  console.log(`API error: ${err.status} ${err.code}`);
}

// Giving up waiting does not stop the job: the error says which job goes on.
try {
  await client.invoke("sleep", { seconds: 5 }, { callMode: "AsyncRequestReply", signal: AbortSignal.timeout(500) });
} catch (err) {
  if (!(err instanceof TimeoutError)) throw err;
  console.log(`Timed out: ${err.code}`);
  if (err.jobKey) await client.jobs.stop(err.jobKey, "Kill");
}
