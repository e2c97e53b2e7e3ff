import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Folder, Session } from "./api.js";

export interface ConsoleContext {
  session: Session;
  /** the folders the user may see (for names and pickers) */
  folders: Folder[];
  reloadFolders: () => void;
}

export const Ctx = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const ctx = useContext(Ctx);
  if (!ctx) throw new Error("useConsole outside the console");
  return ctx;
}

export function folderName(folders: Folder[], key: string | null | undefined): string {
  if (!key) return "–";
  return folders.find((f) => f.key === key)?.name ?? key.slice(0, 8);
}
