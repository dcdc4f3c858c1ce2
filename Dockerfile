# chat4all-server: one image for every role (ROLE=api|worker|gateway|all). `make images` builds it
# after `make build` has bundled the server into dist/chat4all-server.mjs, one file that needs no
# node_modules. The runtime is a Node.js 20 image passed as RUNTIME_IMAGE: by default the minimal
# one built here (images/node-runtime: node and its libraries, no shell, user 10001); on a machine
# that can pull, any Node.js 20 image works, e.g. --build-arg RUNTIME_IMAGE=node:20-bookworm-slim.
ARG RUNTIME_IMAGE=chat4all/node-runtime:20.20.2
FROM ${RUNTIME_IMAGE}
# Every interface: a container's loopback is of no use to anyone (the server's own default, for a
# laptop, is loopback when it runs in memory).
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY dist/chat4all-server.mjs dist/chat4all-server.mjs.map dist/chat4all-server.mjs.LEGAL.txt /app/
# An unprivileged user of its own (uid and gid 10001); Kubernetes pins the same ids and mounts the
# root filesystem read-only.
USER 10001:10001
EXPOSE 8080 8085 9095
ENTRYPOINT ["node", "--enable-source-maps", "/app/chat4all-server.mjs"]
