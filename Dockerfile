# syntax=docker/dockerfile:1.7
# The itosm image: the daemon (every role: api, relay, notifier, and the CLI:
# migrate, user, dlq …), the itosm-agent binary when the workspace has it,
# and the built portal at /app/portal. Runs as uid 10001 on a slim Debian.
#
#   docker build -t itosm .
#   docker run --rm itosm --help
#
# itosm is PID 1 (exec-form ENTRYPOINT, no shell, no init): Docker's and
# Kubernetes' SIGTERM reaches the daemon itself, which drains (shutdown.grace)
# and exits. It starts no child processes, so there is nothing to reap.

ARG RUST_VERSION=1.95
ARG NODE_VERSION=20
ARG DEBIAN_RELEASE=bookworm

# The portal: a static build, no Node.js at run time.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS portal
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
RUN npm run build

# The binaries, built once for every role.
FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS builder
WORKDIR /src
COPY . .
# itosm-agent is built when the workspace has it (the shell conditional keeps
# this Dockerfile working on revisions before and after it was added).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p itosm-daemon --bin itosm \
 && install -D -m 0755 target/release/itosm /out/itosm \
 && if [ -f itosm-agent/Cargo.toml ]; then \
      cargo build --release --locked -p itosm-agent --bin itosm-agent \
      && install -m 0755 target/release/itosm-agent /out/itosm-agent; \
    fi

# The runtime: no compiler, no package manager caches, no Node.js.
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="itosm" \
      org.opencontainers.image.description="IT ticketing core: GraphQL/REST api with the portal, outbox relay, notifier" \
      org.opencontainers.image.source="https://example.invalid/itosm" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# ca-certificates: TLS to PostgreSQL, RabbitMQ, SMTP, SMS gateways and
# webhooks. Versions come with the base image's Debian release.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 itosm \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin itosm \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/itosm/attachments
WORKDIR /app
COPY --from=builder /out/ /usr/local/bin/
COPY --from=portal /frontend/dist /app/portal
COPY config/ /app/config/
USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGTERM
# The api role's liveness (relay and notifier serve no HTTP; compose and
# Kubernetes set their own checks). No curl in the image: bash's /dev/tcp.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=5 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '200 OK' <&3"]
ENTRYPOINT ["/usr/local/bin/itosm"]
CMD ["serve", "--config", "/app/config/itosm.compose.toml"]
