import type { Transport } from "../Transport.js";

/** What the resource APIs share with the client that made them. */
export interface ClientContext {
  transport: Transport;
  /** The default total time of a wait (BatonClientOptions.timeoutMs). */
  timeoutMs: number;
  maxRedirects: number;
}
