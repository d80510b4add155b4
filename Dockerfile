# Gatehouse container image.
#
#   docker build -t gatehouse .
#   docker run --rm -p 3000:3000 -e DATABASE_URL=postgres://user:pass@db:5432/gatehouse \
#     -e MASTER_KEY=... -e SMTP_URL=smtp://user:pass@mail:587 gatehouse
#
# Configuration is environment variables only; see .env.example for the full list.
# The image runs with NODE_ENV=production, which requires DATABASE_URL, MASTER_KEY and SMTP_URL.
# For a trial on the embedded PostgreSQL (PGlite) under /app/var instead, set
# EMBEDDED_DATABASE_IN_PRODUCTION=true and mount a volume at /app/var to keep its data.

# --- base: the Node.js runtime both stages share ----------------------------------------------
# Node 22 LTS: Node 20 reached end of life in April 2026, and several runtime dependencies
# (nestjs-pino, file-type, cookie) declare node >= 22. Gatehouse itself needs >= 20.19.
FROM node:22-bookworm-slim AS base
WORKDIR /app

# --- build: install all dependencies, compile, then drop the dev dependencies -----------------
FROM base AS build
# Opt out of the install-time analytics of @scarf/scarf (pulled in by swagger-ui-dist).
ENV SCARF_ANALYTICS=false
# Dependencies first, so this layer is reused until package.json / package-lock.json change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Only what `nest build` (tsconfig.build.json) compiles. package.json is part of the build:
# it is emitted as dist/package.json, which dist/src/app.factory.js reads for the version.
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime: compiled output and production dependencies only --------------------------------
FROM base AS runtime
# Node.js sizes V8's heap from the container's memory limit, and V8 shrinks the young generation
# (where every request's objects are made) with the heap: in a 512 MiB container to a fraction
# of what it has on a larger machine, and the decision point then answers 0.63× the checks per
# second at 1.89× the CPU each. With the young generation V8 gives a machine of 2 GB or more it
# answers 1.03×, for a peak RSS of 246 MiB instead of 218 (bench/RESULTS.md, the memory section).
# Setting NODE_OPTIONS at run time replaces this.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=16 \
    PGLITE_DATA_DIR=/app/var/pglite
# Code stays owned by root (read-only for the service); only /app/var is writable by `node`.
RUN mkdir -p /app/var && chown node:node /app/var
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Readiness (database, and Redis when REDIS_URL is set) over loopback, using node itself since
# the slim image has no curl. Assumes HOST is 0.0.0.0 (default) or ::. Keep --timeout above
# HEALTH_CHECK_TIMEOUT_MS; the start period covers migrations at boot.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const req = require('node:http').get({ host: '127.0.0.1', port: process.env.PORT || 3000, path: '/health/ready', timeout: 4000 }, (res) => { res.resume(); process.exit(res.statusCode === 200 ? 0 : 1); }); req.on('timeout', () => req.destroy(new Error('timeout'))); req.on('error', () => process.exit(1));"]
# Not `npm start`: its prestart hook would rebuild. node runs as PID 1 and handles SIGTERM once
# started; run with `--init` (compose: `init: true`) so a stop during startup is not ignored.
CMD ["node", "dist/src/main.js"]
