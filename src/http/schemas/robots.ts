/** Robots: their robot keys and the sessions connected now (routes/robots.ts). */
import { Type } from "typebox";
import { DateTime, NullableDateTime, Page, Uuid } from "./common.js";
import { named } from "./named.js";

const NullableFolderKeys = (description: string) => Type.Union([Type.Array(Uuid()), Type.Null()], { description });

const ROBOT_NAME = "1-128 letters, digits, '-', '_', '.' or '@', starting with a letter or digit; unique in the tenant.";
const robotKeyProperties = {
  id: Uuid(),
  name: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$", description: ROBOT_NAME }),
  createdAt: DateTime(),
  rotatedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()], { description: "The last rotation of the key (POST /robots/{id}/rotate); the key issued before it no longer works." }),
  folderKeys: NullableFolderKeys("The folders whose jobs the robot may run (set at creation); null: every folder of the tenant."),
  revokedAt: NullableDateTime(),
};

export const RobotKey = named("RobotKey", Type.Object(robotKeyProperties));
export const RobotKeyPage = named("RobotKeyPage", Page(RobotKey, false));
export const CreatedRobotKey = named("CreatedRobotKey", Type.Object({
  ...robotKeyProperties,
  key: Type.String({ pattern: "^baton_rk_", description: "The robot key: shown only in this answer; only its hash is stored." }),
}));
export const RotatedRobotKey = named("RotatedRobotKey", Type.Object({
  ...robotKeyProperties,
  key: Type.String({ pattern: "^baton_rk_", description: "The new robot key: shown only in this answer; the previous key no longer works." }),
}));
/** the name's and the folders' rules are the core's (Access.createRobotKey, 400 invalid-robot naming the fault) */
export const RobotKeyInput = named("RobotKeyInput", Type.Object({
  name: Type.String({ description: ROBOT_NAME }),
  folderKeys: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], { description: "The folders whose jobs the robot may run: a non-empty list of folder keys; null or absent: every folder." })),
}, { additionalProperties: true, description: "Unknown fields are ignored. folderKeys limits the robot to the jobs of those folders." }));

export const RobotSession = named("RobotSession", Type.Object({
  id: Uuid(),
  robotKeyId: Type.Union([Type.String(), Type.Null()], { description: "The robot key the session was opened with; null for the in-process robot." }),
  folderKeys: NullableFolderKeys("The folders whose jobs the session runs (its robot key's); null: every folder."),
  robotName: Type.String(),
  version: Type.Union([Type.String(), Type.Null()], { description: "The robot's version, as it announced it." }),
  processes: Type.Array(Type.String(), { description: "The process names the session serves." }),
  slots: Type.Integer({ minimum: 1, description: "How many jobs the session runs at once." }),
  slotsInUse: Type.Integer({ minimum: 0, description: "How many jobs the session holds now (Running, Stopping or Terminating)." }),
  lastHeartbeatAt: Type.String({ format: "date-time", description: "When the robot was last heard from: its last heartbeat, or the session's opening." }),
  leaseExpiresAt: Type.String({ format: "date-time", description: "The session ends, and loses its jobs, unless a heartbeat comes before this." }),
  createdAt: DateTime(),
}));
export const RobotSessionPage = named("RobotSessionPage", Page(RobotSession, false));

export const RobotId = Type.Object({ id: Type.String({ description: "The robot's (robot key's) id (a UUID; any other is answered 404 robot-not-found)." }) });
