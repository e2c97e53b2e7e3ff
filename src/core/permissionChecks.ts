import { BatonError } from "./errors.js";
import { FOLDER_PERMISSIONS, type Permission } from "./Permissions.js";
import type { Principal } from "./types.js";

/*
 * What a principal may do, from the permissions its user's roles give (Permissions.ts). A
 * principal without a permission set (null: an administrator of the organization, an
 * external application, a signed wait URI) is limited by its scopes alone.
 */

/** May the principal do `permission` (in `folderKey`, for folder permissions)? */
export function can(principal: Principal, permission: Permission, folderKey: string | null = null): boolean {
  const set = principal.permissions;
  if (!set) return true;
  if (set.tenant.has(permission)) return true;
  return folderKey !== null && (set.folders.get(folderKey)?.has(permission) ?? false);
}

/** Does the principal have any permission in the folder (so that it may know the folder exists)? */
export function canSeeFolder(principal: Principal, folderKey: string): boolean {
  const set = principal.permissions;
  if (!set) return true;
  for (const p of set.tenant) if (FOLDER_PERMISSIONS.has(p)) return true;
  return (set.folders.get(folderKey)?.size ?? 0) > 0;
}

/** The folders in which the principal has `permission`; null when it has it in every folder. */
export function foldersWith(principal: Principal, permission: Permission): string[] | null {
  const set = principal.permissions;
  if (!set || set.tenant.has(permission)) return null;
  return [...set.folders].filter(([, perms]) => perms.has(permission)).map(([key]) => key);
}

/**
 * Throws unless the principal has `permission` (in `folderKey`). A principal that may not
 * even see the folder gets `hidden()` (a 404: existence is not revealed); one that sees
 * it, 403 `permission-denied`.
 */
export function requirePermission(principal: Principal, permission: Permission, folderKey: string | null = null, hidden?: () => BatonError): void {
  if (can(principal, permission, folderKey)) return;
  if (hidden && (folderKey === null || !canSeeFolder(principal, folderKey))) throw hidden();
  throw new BatonError(403, "permission-denied", "Forbidden", `Your user lacks the permission ${permission}${folderKey ? " in this folder" : ""}.`, {
    extra: { requiredPermission: permission },
  });
}
