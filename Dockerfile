# moodle-mcp gateway container. Build: docker build -t moodle-mcp .
# Run:   docker run -p 3000:3000 -e MOODLE_URL=https://moodle.example.edu -e MOODLE_MCP_PUBLIC_URL=https://mcp.example.edu \
#          -e MOODLE_MCP_ENCRYPTION_KEY=... -v $PWD/moodle-mcp.config.yaml:/app/moodle-mcp.config.yaml:ro -v mcp-data:/app/data moodle-mcp
# (Not built in this project's CI: its machines have no Docker engine.)

# policies/go.mod requires go 1.26.0 (the pinned OPA CLI); GOTOOLCHAIN=local below forbids downloading a newer one.
FROM golang:1.26-bookworm AS go

FROM node:20-bookworm AS build
COPY --from=go /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:$PATH GOTOOLCHAIN=local
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The policy is compiled here (pinned OPA CLI via `go tool opa`), so the image never serves a stale one.
RUN bash scripts/policy-build.sh && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production MOODLE_MCP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:3000/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/moodle-mcp.mjs", "serve"]
