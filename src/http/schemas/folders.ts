/** Folders (routes/folders.ts). */
import { Type } from "typebox";
import { DateTime, Page, Uuid } from "./common.js";
import { named } from "./named.js";

/**
 * Folder and process names: 1-128 characters; the core (catalogInput.ts) refuses '/', '\\',
 * control, bidirectional and zero-width characters and surrounding whitespace, naming the one at fault.
 */
export const TrimmedName = Type.String({ minLength: 1, maxLength: 128, description: "1-128 characters, without '/', '\\', control characters or surrounding whitespace." });

export const Folder = named("Folder", Type.Object({ key: Uuid(), name: TrimmedName, createdAt: DateTime() }));
export const FolderInput = named("FolderInput", Type.Object({ name: TrimmedName }));
export const FolderPage = named("FolderPage", Page(Folder, false));

export const FolderKey = Type.Object({ folderKey: Type.String({ description: "The folder's key (a UUID; any other is answered 404 folder-not-found)." }) });
