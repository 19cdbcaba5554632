# Parley server image. Build: docker build -t parley .
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/server/package.json packages/server/
COPY packages/sdk/package.json packages/sdk/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY packages ./packages
USER node
EXPOSE 8080
# Scaled tier: DATABASE_URL and REDIS_URL come from the environment.
CMD ["node", "--import", "tsx", "packages/server/src/main.ts"]
