import type { JobStore } from "../../core/store.js";
import { SqlAggregate } from "./SqlAggregate.js";

export abstract class JobsSql extends SqlAggregate implements JobStore {
}
