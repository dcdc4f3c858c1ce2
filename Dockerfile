# syntax=docker/dockerfile:1
# chat4all-server: one image for every role (ROLE=api|worker|gateway|all). `make images` builds it.
# Stage 1 bundles the server into one ESM file that needs no node_modules; stage 2 is a slim Node
# runtime without npm, running that file as an unprivileged user.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund \
 && node scripts/build.mjs

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# The runtime needs node and nothing else: drop the package managers.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
           /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/dist/chat4all-server.mjs /src/dist/chat4all-server.mjs.map /src/dist/chat4all-server.mjs.LEGAL.txt /app/
# The image's `node` user (uid 1000); Kubernetes pins the same uid and a read-only root filesystem.
USER 1000:1000
EXPOSE 8080 8085 9095
ENTRYPOINT ["node", "--enable-source-maps", "/app/chat4all-server.mjs"]
