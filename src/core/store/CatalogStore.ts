import type { Folder, Process, Trigger } from "../types.js";

/** What can be run, and how it is called: folders, processes and API triggers. */
export interface CatalogStore {
  // folders
  createFolder(folder: Folder): Promise<void>;
  getFolder(tenantId: string, key: string): Promise<Folder | null>;
  findFolderByName(tenantId: string, name: string): Promise<Folder | null>;
  listFolders(tenantId: string): Promise<Folder[]>;
  renameFolder(tenantId: string, key: string, name: string): Promise<boolean>;
  /** false when the folder still holds processes, triggers or jobs */
  deleteFolder(tenantId: string, key: string): Promise<"deleted" | "missing" | "not-empty">;

  // processes
  createProcess(process: Process): Promise<void>;
  getProcess(tenantId: string, folderKey: string, name: string): Promise<Process | null>;
  listProcesses(tenantId: string, folderKey: string): Promise<Process[]>;
  updateProcess(process: Process): Promise<void>;
  deleteProcess(tenantId: string, folderKey: string, name: string): Promise<"deleted" | "missing" | "in-use">;

  // triggers
  createTrigger(trigger: Trigger): Promise<void>;
  getTrigger(tenantId: string, id: string): Promise<Trigger | null>;
  findTriggerBySlug(tenantId: string, slug: string): Promise<Trigger | null>;
  listTriggers(tenantId: string, folderKey: string | null): Promise<Trigger[]>;
  updateTrigger(trigger: Trigger): Promise<void>;
  deleteTrigger(tenantId: string, id: string): Promise<boolean>;
}
