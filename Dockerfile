# The Rhizome server image: built with pnpm, run on plain Node as a non-root user.
#   docker build -t rhizome-server .
#   docker run -p 8080:8080 -v rhizome-data:/data -e RHIZOME_TOKENS='[...]' rhizome-server
# See docs/deploy.md. apps/server/test/issue-16-deploy.test.ts runs this file's deploy, start
# and health-check commands outside Docker, so they stay in step with the repository.

FROM node:20-slim AS build
ENV CI=true PNPM_HOME=/pnpm PATH=/pnpm:$PATH
RUN npm install -g pnpm@10.34.8 && pnpm config set update-notifier false
WORKDIR /repo
# Dependencies first: this layer is reused until the lockfile changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile
RUN pnpm build
# The server with its production dependencies only (workspace packages copied with their dist/).
RUN pnpm --filter=@rhizome/server deploy --prod --legacy /out

FROM node:20-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    RHIZOME_DATA_DIR=/data/pglite
WORKDIR /app
COPY --from=build --chown=root:root /out /app
# The embedded database lives in the volume; the image itself stays read-only for the node user.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM (docker stop) closes HTTP, sync links and storage, then exits 0.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
