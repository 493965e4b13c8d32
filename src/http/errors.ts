import { isDatabaseUnavailable } from "../data/errors.ts";
import type { FastifyError, FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";

/** The one error type: a code, an HTTP status, and a message safe to show to the caller. */
export class AppError extends Error {
  /** Seconds the caller should wait (429, 503): sent as Retry-After. */
  retryAfterSeconds?: number;

  constructor(
    readonly status: number,
    readonly code: string,
    readonly publicMessage: string,
    internal?: string,
  ) {
    super(internal ?? publicMessage);
    this.name = "AppError";
  }
}

export const errors = {
  badRequest: (message: string, code = "bad_request") => new AppError(400, code, message),
  unauthorized: (message = "Missing or invalid credentials.") => new AppError(401, "unauthorized", message),
  forbidden: (message = "You are not allowed to do this.") => new AppError(403, "forbidden", message),
  notFound: (message = "Not found.") => new AppError(404, "not_found", message),
  conflict: (message: string, code = "conflict") => new AppError(409, code, message),
  tooMany: (message: string) => new AppError(429, "rate_limited", message),
};

export interface ErrorBody {
  error: { code: string; message: string };
}

const frameworkCodes: Record<string, [string, string]> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: ["bad_request", "The request body is empty; JSON was expected."],
  FST_ERR_CTP_INVALID_JSON_BODY: ["malformed_json", "The request body is not valid JSON."],
  FST_ERR_CTP_BODY_TOO_LARGE: ["payload_too_large", "The request body is too large."],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ["unsupported_media_type", "Send the body as application/json."],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ["bad_request", "The Content-Length header does not match the body."],
};

/** Maps every error to `{ error: { code, message } }`; a 5xx never leaks its internals. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof AppError) {
      if (err.retryAfterSeconds) reply.header("retry-after", String(err.retryAfterSeconds));
      return reply.status(err.status).send({ error: { code: err.code, message: err.publicMessage } });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const first = err.validation[0];
      const where = first?.instancePath ? first.instancePath.replace(/^\//, "").replace(/\//g, ".") : err.validationContext;
      const message = `${where ? `${where}: ` : ""}${first?.message ?? "invalid request"}`;
      return reply.status(400).send({ error: { code: "invalid_request", message } });
    }
    const known = err.code ? frameworkCodes[err.code] : undefined;
    if (known) return reply.status(err.statusCode ?? 400).send({ error: { code: known[0], message: known[1] } });
    if (err instanceof SyntaxError || (err.statusCode && err.statusCode < 500)) {
      const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 400;
      return reply.status(status).send({ error: { code: "bad_request", message: err.message } });
    }
    if (isDatabaseUnavailable(err)) {
      request.log.error({ err: (err as Error).message }, "database unavailable");
      return reply
        .status(503)
        .header("retry-after", "5")
        .send({ error: { code: "unavailable", message: "The service is briefly unavailable. Please try again in a moment." } });
    }
    request.log.error({ err }, "unhandled error");
    return reply
      .status(500)
      .send({ error: { code: "internal", message: "Something went wrong on our side. Please try again." } });
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send({ error: { code: "not_found", message: `No route for ${request.method} ${request.url.split("?")[0]}` } });
  });
}
