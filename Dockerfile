# moodle-mcp gateway container: Node 24 LTS, compiled JavaScript (dist/, no TypeScript transpiler at run time),
# non-root, read-only root filesystem friendly (state only under /app/data), HEALTHCHECK on /readyz.
#
# Build (the compiled policy comes from the build context, see below):
#   make policy && docker build -t moodle-mcp .
# Run:
#   docker run -p 3000:3000 --read-only -v mcp-data:/app/data \
#     -e MOODLE_URL=https://moodle.example.edu -e MOODLE_MCP_PUBLIC_URL=https://mcp.example.edu -e MOODLE_MCP_ENCRYPTION_KEY=... \
#     -v $PWD/moodle-mcp.config.yaml:/app/moodle-mcp.config.yaml:ro moodle-mcp
# CI builds and runs this file unmodified with podman: `make container-test` (scripts/container-test.sh).
#
# The policy: policies/build/ (policy.wasm + manifest.json, from `make policy`, the pinned OPA CLI) is taken from the
# build context rather than compiled in a Go stage: WASM is platform-independent, the image then carries exactly the
# policy reviewed and tested in CI (`make policy-test`, `moodle-mcp policy diff`), and the build needs no Go image or
# Go module downloads. It cannot be stale: the gateway recomputes the manifest's source hash over policies/*.rego
# (copied too) at start and refuses a policy that does not match its sources.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN test -s policies/build/policy.wasm -a -s policies/build/manifest.json \
      || { echo 'policies/build/ is missing from the build context: run `make policy` before building the image' >&2; exit 1; } \
 && node scripts/build.mjs \
 && npm prune --omit=dev --no-audit --no-fund --loglevel=error \
 && chmod -R a+rX,go-w bin dist node_modules policies package.json moodle-mcp.config.yaml

FROM node:24-bookworm-slim
ENV NODE_ENV=production MOODLE_MCP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json /app/moodle-mcp.config.yaml ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/policies/capabilities.json ./policies/
COPY --from=build /app/policies/*.rego ./policies/
COPY --from=build /app/policies/build/policy.wasm /app/policies/build/manifest.json ./policies/build/
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.MOODLE_MCP_PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/moodle-mcp.mjs", "serve"]
