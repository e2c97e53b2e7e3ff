import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { audited } from "../audit.js";
import type { HttpContext } from "../context.js";
import { answer, noContent } from "../schemas/common.js";
import { CreatedRobotKey, RobotId, RobotKeyInput, RobotKeyPage, RobotSessionPage, RotatedRobotKey } from "../schemas/robots.js";

/**
 * Robots under `…/api/v1/robots` (`OR.Robots`, Robots.View / Robots.Edit): robot keys (the
 * key is shown once, at creation or rotation) and the sessions connected now. Answers are
 * the schemas' fields only: a key's hash and tenant never leave.
 */
export function robotRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { access, robots } = ctx.baton;

  api.post("/api/v1/robots", {
    schema: {
      operationId: "createRobot", tags: ["Robots"], summary: "Create a robot and its robot key",
      body: RobotKeyInput,
      response: { 201: answer("The robot, with its robot `key`: shown only this once.", CreatedRobotKey) },
    },
    config: { access: { scope: ["Robots", "Write"], permission: "Robots.Edit" }, errors: { invalid: "invalid-robot", conflict: ["robot-exists"] } },
  }, async (request, reply) => {
    const { robotKey, secret } = await audited(ctx, request, () => access.createRobotKey(request.tenant.id, request.body),
      ({ robotKey }) => ["robot.create", robotKey.id, { name: robotKey.name, ...(robotKey.folderKeys ? { folderKeys: robotKey.folderKeys } : {}) }]);
    reply.code(201);
    return { ...robotKey, key: secret };
  });

  api.get("/api/v1/robots", {
    schema: {
      operationId: "listRobots", tags: ["Robots"], summary: "List the robots (robot keys)", description: "Keys are never shown again after creation.",
      response: { 200: answer("The tenant's robots, revoked ones included.", RobotKeyPage) },
    },
    config: { access: { scope: ["Robots", "Read"], permission: "Robots.View" } },
  }, async (request) => ({ items: await access.listRobotKeys(request.tenant.id), nextCursor: null }));

  api.delete("/api/v1/robots/:id", {
    schema: {
      operationId: "revokeRobot", tags: ["Robots"], summary: "Revoke a robot key",
      description: "Its sessions end: their jobs go back to Pending (or fault, per the retry policy).",
      params: RobotId,
      response: { 204: noContent("Revoked (also when it already was).") },
    },
    config: { access: { scope: ["Robots", "Write"], permission: "Robots.Edit" }, errors: { notFound: ["robot-not-found"] } },
  }, async (request, reply) => {
    // the key, its sessions and their jobs' release, and the entry: one transaction
    await audited(ctx, request, async () => {
      await access.revokeRobotKey(request.tenant.id, request.params.id);
      await robots.endSessionsOfKey(request.params.id);
    }, () => ["robot.revoke", request.params.id]);
    return reply.code(204).send(null);
  });

  api.post("/api/v1/robots/:id/rotate", {
    schema: {
      operationId: "rotateRobot", tags: ["Robots"], summary: "Rotate a robot key",
      description: "Replaces the robot's key: the new key is shown only in this answer, and the old one stops working at once, on every node. " +
        "The sessions opened with the old key end now: their jobs go back to Pending (or fault, per the retry policy). `rotatedAt` records the rotation.",
      params: RobotId,
      response: { 200: answer("The robot, with its new robot `key`: shown only this once.", RotatedRobotKey) },
    },
    config: { access: { scope: ["Robots", "Write"], permission: "Robots.Edit" }, errors: { notFound: ["robot-not-found"], conflict: ["robot-revoked"] } },
  }, async (request) => {
    const { robotKey, secret } = await audited(ctx, request, async () => {
      const rotated = await access.rotateRobotKey(request.tenant.id, request.params.id);
      // the old key no longer works: its sessions end now, and their jobs go back to Pending
      await robots.endSessionsOfKey(rotated.robotKey.id);
      return rotated;
    }, ({ robotKey }) => ["robot.rotate", robotKey.id, { name: robotKey.name }]);
    return { ...robotKey, key: secret };
  });

  api.get("/api/v1/robots/sessions", {
    schema: {
      operationId: "listRobotSessions", tags: ["Robots"], summary: "List the live robot sessions",
      response: { 200: answer("The sessions whose lease has not run out.", RobotSessionPage) },
    },
    config: { access: { scope: ["Robots", "Read"], permission: "Robots.View" } },
  }, async (request) => ({ items: await robots.listSessions(request.tenant.id), nextCursor: null }));
}
