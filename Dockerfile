# syntax=docker/dockerfile:1
#
# kspec operator image. Node runs the TypeScript sources directly (type stripping), so there is
# no build step: the image holds src/, bin/, package*.json, the production node_modules and
# deploy/kyverno-crds (the schemas kyvernoPolicy is validated against).
#
#   docker build -t ghcr.io/example/kspec:0.1.0 .
#   docker run --rm ghcr.io/example/kspec:0.1.0 --help

# ---- dependencies: production node_modules only ----
FROM node:24-bookworm-slim AS deps
WORKDIR /app
ENV NODE_ENV=production \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json ./
# --omit=dev drops the pinned `node` dev dependency (the base image is the runtime) and
# TypeScript; --ignore-scripts: no production dependency needs an install script.
RUN npm ci --omit=dev --ignore-scripts \
 && npm cache clean --force \
 && mkdir -p /out/var/cache/kspec

# ---- runtime: distroless Node.js 24, no shell, no package manager ----
# gcr.io/distroless/nodejs24-debian12 keeps node at /nodejs/bin/node; it is put on PATH so the
# entrypoint is plain `node`. To use a Debian base instead (e.g. for a shell while debugging),
# replace this FROM with node:24-bookworm-slim: the rest stays valid.
FROM gcr.io/distroless/nodejs24-debian12:nonroot AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    PATH=/nodejs/bin:/usr/local/bin:/usr/bin:/bin \
    KSPEC_CACHE_DIR=/var/cache/kspec
COPY --from=deps --chown=0:0 /app/node_modules ./node_modules
COPY --chown=0:0 package.json package-lock.json ./
COPY --chown=0:0 bin ./bin
COPY --chown=0:0 src ./src
# Kyverno's policy CRD schemas: every kyvernoPolicy is checked against them before it is applied.
COPY --chown=0:0 deploy/kyverno-crds ./deploy/kyverno-crds
# The cache directory exists and belongs to the runtime user also without a volume (docker run).
COPY --from=deps --chown=65532:65532 /out/var/cache/kspec /var/cache/kspec
# Files are owned by root and read-only for the process; only the cache is writable (an emptyDir
# in the Deployment, since the root filesystem is mounted read-only).
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["node", "bin/kspec.js"]
CMD ["run"]
