/** Users, their roles, and the roles there are (routes/users.ts). */
import { Type } from "typebox";
import { PERMISSIONS, ROLE_NAMES } from "../../core/Permissions.js";
import { DateTime, NullableDateTime, Page, StringEnum, Uuid } from "./common.js";
import { named } from "./named.js";

export const Permission = named("Permission", StringEnum(PERMISSIONS, {
  description: "What a user may do (Permissions.ts). Folder permissions (Folders.View, Processes.*, Triggers.*, Jobs.*) can be granted in one folder; the others only tenant-wide.",
}));
export const RoleName = named("RoleName", StringEnum(ROLE_NAMES, { description: "Administrator: every permission. Automation Developer and Viewer: see GET /api/v1/roles." }));

export const UserName = Type.String({
  pattern: "^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$",
  description: "1-128 letters, digits, '-', '_', '.' or '@', starting with a letter or digit; unique among the tenant's and the organization's users.",
});
const Password = (description = "8 to 1024 characters; stored only as an scrypt hash.") => Type.String({ minLength: 8, maxLength: 1024, writeOnly: true, description });

const FolderGrant = Type.Union([Type.String({ format: "uuid" }), Type.Null()], {
  description: "null (or absent, in a request): the role is granted tenant-wide. A folder's key: only the role's folder permissions, only in that folder.",
});
export const RoleAssignment = named("RoleAssignment", Type.Object({ role: RoleName, folderKey: FolderGrant }, { description: "One grant of a role: tenant-wide, or in one folder." }));
export const RoleAssignmentInput = named("RoleAssignmentInput", Type.Object({ role: RoleName, folderKey: Type.Optional(FolderGrant) }, {
  additionalProperties: true,
  description: "A folderKey must be a folder of the tenant (400 invalid-user otherwise). Unknown fields are ignored.",
}));

export const Role = named("Role", Type.Object({
  name: RoleName,
  permissions: Type.Array(Permission, { description: "Granted tenant-wide; in a folder, only the folder permissions among them." }),
}));
export const RolePage = named("RolePage", Page(Role, false));

export const User = named("User", Type.Object({
  id: Uuid(),
  name: UserName,
  orgAdmin: Type.Boolean({ description: "An administrator of the organization: every permission in every tenant, limited by scopes only." }),
  organizationUser: Type.Boolean({ description: "A user of the organization (like the first user, `admin`), not of this tenant: it cannot be changed or deleted here (409 user-of-organization)." }),
  roles: Type.Array(RoleAssignment, { description: "The user's grants in this tenant." }),
  disabled: Type.Boolean({ description: "A disabled user cannot log in, and its tokens and sessions are refused (401)." }),
  disabledAt: NullableDateTime(),
  createdAt: DateTime(),
}));
export const UserPage = named("UserPage", Page(User, false));

export const CreateUser = named("CreateUser", Type.Object({
  name: UserName,
  password: Password(),
  roles: Type.Optional(Type.Array(RoleAssignmentInput, { maxItems: 100, default: [] })),
}, { additionalProperties: true, description: "A user of this tenant. Unknown fields are ignored." }));

export const UpdateUser = named("UpdateUser", Type.Object({
  password: Type.Optional(Password("A new password; the user's console sessions end.")),
  roles: Type.Optional(Type.Array(RoleAssignmentInput, { maxItems: 100, description: "Replaces all the user's grants." })),
  disabled: Type.Optional(Type.Boolean({ description: "true: the user cannot log in, its console sessions end and its tokens are refused; false: enabled again." })),
}, { additionalProperties: true, description: "The fields to change; unknown fields (name cannot be changed) are ignored." }));

export const UserId = Type.Object({ id: Type.String({ description: "The user's id (a UUID; any other is answered 404 user-not-found)." }) });
