# Parley server image, web client included.
#   docker build -t parley .
#   docker run -p 8080:8080 -v parley-data:/app/data parley                  # embedded tier
#   docker run -e DATABASE_URL=… -e REDIS_URL=… -p 8080:8080 parley         # scaled tier

# Build stage: dev dependencies, TypeScript compile, web client bundle, then the
# runtime laid out by the same script the packaging test runs.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/server/package.json packages/server/
COPY packages/sdk/package.json packages/sdk/
COPY apps/web/package.json apps/web/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY tsconfig*.json ./
COPY scripts ./scripts
COPY packages ./packages
COPY apps ./apps
RUN npm run build && bash scripts/runtime-install.sh /runtime

# Runtime stage: compiled JavaScript, the built web client and production
# dependencies only, run by plain node as a numeric non-root user (uid 1000 is
# the image's `node` user; a number lets Kubernetes verify runAsNonRoot).
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    WEB_ROOT=/app/web \
    DATA_DIR=/app/data \
    PORT=8080
WORKDIR /app
COPY --from=build --chown=1000:1000 /runtime /app
RUN mkdir -p /app/data && chown 1000:1000 /app/data
USER 1000:1000
EXPOSE 8080
VOLUME ["/app/data"]
# /readyz answers 200 once storage is open and the instance takes traffic.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself, which drains in-flight
# sends and closes sockets with 1012 before exiting.
STOPSIGNAL SIGTERM
CMD ["node", "packages/server/dist/main.js"]
