import type { CatalogStore } from "../../core/store.js";
import { SqlAggregate } from "./SqlAggregate.js";

export abstract class CatalogSql extends SqlAggregate implements CatalogStore {
}
