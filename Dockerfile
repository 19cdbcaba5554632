# Parley server image, web client included. Build: docker build -t parley .
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/server/package.json packages/server/
COPY packages/sdk/package.json packages/sdk/
COPY apps/web/package.json apps/web/
COPY bench/package.json bench/
# Dev dependencies included: tsx runs the TypeScript sources, Vite builds the web client.
RUN npm ci --no-audit --no-fund
COPY packages ./packages
COPY apps ./apps
RUN npm run build:web
ENV NODE_ENV=production
USER node
EXPOSE 8080
# Scaled tier: DATABASE_URL and REDIS_URL come from the environment.
CMD ["node", "--import", "tsx", "packages/server/src/main.ts"]
