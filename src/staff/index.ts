import type { FastifyPluginAsync } from "fastify";
import type { AppContext } from "../context.ts";
import { ensureFirstAdmin } from "./auth.ts";
import { staffAdminRoutes } from "./routes/admin.ts";
import { staffApplicationRoutes } from "./routes/applications.ts";
import { staffAuthRoutes } from "./routes/auth.ts";
import { staffConsoleRoutes } from "./routes/console.ts";
import { staffConversationRoutes } from "./routes/conversations.ts";
import { staffDashboardRoutes } from "./routes/dashboard.ts";
import { staffDeletionRoutes } from "./routes/deletions.ts";
import { staffInsightRoutes } from "./routes/insights.ts";
import { staffKnowledgeRoutes } from "./routes/knowledge.ts";
import { staffMetaRoutes } from "./routes/meta.ts";

export const STAFF_PREFIX = "/api/v1/staff";

/**
 * Everything staff use: the first admin at start, the staff API under /api/v1/staff and the
 * console at /staff. Exports: staffPlugin (register it once in src/app.ts); requireRole and
 * createStaffUser live in ./auth.ts for other features' staff routes.
 */
export function staffPlugin(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    await ensureFirstAdmin(ctx);
    await app.register(staffAuthRoutes(ctx), { prefix: STAFF_PREFIX });
    await app.register(staffConversationRoutes(ctx), { prefix: STAFF_PREFIX });
    await app.register(staffApplicationRoutes(ctx), { prefix: STAFF_PREFIX });
    await app.register(staffInsightRoutes(ctx), { prefix: STAFF_PREFIX });
    await app.register(staffKnowledgeRoutes(ctx), { prefix: STAFF_PREFIX });
    await app.register(staffDashboardRoutes(ctx), { prefix: STAFF_PREFIX });
    await app.register(staffAdminRoutes(ctx), { prefix: STAFF_PREFIX });
    await app.register(staffDeletionRoutes(ctx), { prefix: STAFF_PREFIX });
    await app.register(staffMetaRoutes(ctx), { prefix: STAFF_PREFIX });
    await app.register(staffConsoleRoutes());
  };
}
