import { defineConfig } from "vitest/config";

/**
 * Every test file runs twice: on SQLite (the default database) and on PostgreSQL (a server at
 * TEST_PG_ADMIN_URL, default postgresql://app:app@127.0.0.1:5432/postgres; .ci/run starts it).
 * `npx vitest run --project sqlite` runs one of them.
 */
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: { name: "sqlite", env: { LOG_LEVEL: "silent", TZ: "Asia/Shanghai", TEST_DATABASE: "sqlite" } },
      },
      {
        extends: true,
        test: {
          name: "postgres",
          env: { LOG_LEVEL: "silent", TZ: "Asia/Shanghai", TEST_DATABASE: "postgres" },
          globalSetup: ["tests/helpers/pg-setup.ts"],
        },
      },
    ],
  },
});
