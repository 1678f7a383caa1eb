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
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
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
CMD ["node", "apps/api/dist/main.js"]
