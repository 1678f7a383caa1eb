# One image for both services: `api` runs the API and proxy, `web` runs the dashboard.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/web/package.json apps/web/
COPY libs/shared/package.json libs/shared/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
# jemalloc instead of glibc's malloc: it gives freed buffers' pages back to the system, where
# glibc's arenas kept 30-45 MB after a burst of load (scripts/allocator.mjs, bench/BASELINE.md).
# The link gives the library one path on amd64 and arm64; CODEX_LB_ALLOCATOR has no effect here,
# set LD_PRELOAD to an empty value in a service's environment to run without it.
RUN apt-get update \
  && apt-get install -y --no-install-recommends libjemalloc2 \
  && rm -rf /var/lib/apt/lists/* \
  && ln -s "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" /usr/local/lib/libjemalloc.so.2
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 \
  LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 \
  MALLOC_CONF=background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/libs/shared/package.json /app/libs/shared/
COPY --from=build /app/libs/shared/dist /app/libs/shared/dist
COPY --from=build /app/apps/api/package.json /app/apps/api/
COPY --from=build /app/apps/api/dist /app/apps/api/dist
COPY --from=build /app/apps/web /app/apps/web
# The data volume (encryption key file, embedded database) must be writable by the app user.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 2455 1455 3000
# The heap flags the API cannot set itself: the same as scripts/api-node-flags.mjs.
CMD ["node", "--max-semi-space-size=8", "apps/api/dist/main.js"]
