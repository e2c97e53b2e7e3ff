import type { IdentityStore } from "../../core/store.js";
import { SqlAggregate } from "./SqlAggregate.js";

export abstract class IdentitySql extends SqlAggregate implements IdentityStore {
}
