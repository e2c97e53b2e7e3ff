/**
 * Permissions and roles. A call needs both the token's scope (scopes.ts, requireScope) and
 * the user's permission where the resource lives (permissionChecks.ts). A role is a set of
 * permissions, granted to a user tenant-wide or in one folder; a folder grant gives only the
 * folder permissions of the role (Folders.View, Processes.*, Triggers.*, Jobs.*) and only in
 * that folder.
 *
 * Who has no user is limited by scopes alone: organization administrators, external
 * applications (OAuth client credentials act for the tenant as their scopes say) and the
 * signed wait URIs of LongPolling.
 */
export const PERMISSIONS = [
  "Folders.View", "Folders.Edit",
  "Processes.View", "Processes.Edit",
  "Triggers.View", "Triggers.Edit",
  "Jobs.View", "Jobs.Create", "Jobs.Edit",
  "Robots.View", "Robots.Edit",
  "Users.View", "Users.Edit",
  "Settings.View", "Settings.Edit",
  "Audit.View",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** the permissions that a grant in one folder can give */
export const FOLDER_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>([
  "Folders.View", "Processes.View", "Processes.Edit", "Triggers.View", "Triggers.Edit", "Jobs.View", "Jobs.Create", "Jobs.Edit",
]);

export const ROLE_NAMES = ["Administrator", "Automation Developer", "Viewer"] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export const ROLES: Record<RoleName, readonly Permission[]> = {
  Administrator: PERMISSIONS,
  "Automation Developer": [
    "Folders.View", "Processes.View", "Processes.Edit", "Triggers.View", "Triggers.Edit",
    "Jobs.View", "Jobs.Create", "Jobs.Edit", "Robots.View", "Robots.Edit", "Settings.View",
  ],
  Viewer: ["Folders.View", "Processes.View", "Triggers.View", "Jobs.View", "Robots.View", "Settings.View"],
};

/** one grant of a role: tenant-wide (folderKey null) or in one folder */
export interface RoleAssignment {
  role: RoleName;
  folderKey: string | null;
}

/** what a user may do in a tenant: tenant-wide, and per folder */
export interface PermissionSet {
  tenant: ReadonlySet<Permission>;
  folders: ReadonlyMap<string, ReadonlySet<Permission>>;
}

export function permissionsOf(roles: readonly RoleAssignment[]): PermissionSet {
  const tenant = new Set<Permission>();
  const folders = new Map<string, Set<Permission>>();
  for (const { role, folderKey } of roles) {
    const granted = ROLES[role] ?? [];
    if (folderKey === null) {
      for (const p of granted) tenant.add(p);
      continue;
    }
    let set = folders.get(folderKey);
    if (!set) folders.set(folderKey, (set = new Set()));
    for (const p of granted) if (FOLDER_PERMISSIONS.has(p)) set.add(p);
  }
  return { tenant, folders };
}

/** JSON form, for the session answer and the console */
export function renderPermissions(set: PermissionSet | null): { tenant: Permission[]; folders: Record<string, Permission[]> } {
  if (!set) return { tenant: [...PERMISSIONS], folders: {} };
  return { tenant: [...set.tenant], folders: Object.fromEntries([...set.folders].map(([k, v]) => [k, [...v]])) };
}

export function isRoleName(value: unknown): value is RoleName {
  return typeof value === "string" && (ROLE_NAMES as readonly string[]).includes(value);
}
