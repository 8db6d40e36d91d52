# syntax=docker/dockerfile:1.7
# The itosm daemon: build with cargo, run on a slim Debian as a non-root user.

FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p itosm-daemon --bin itosm \
 && cp target/release/itosm /usr/local/bin/itosm

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin itosm
WORKDIR /app
COPY --from=builder /usr/local/bin/itosm /usr/local/bin/itosm
COPY config/ /app/config/
USER itosm
EXPOSE 8080
# No curl in the image: bash's /dev/tcp asks /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=5 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '200 OK' <&3"]
ENTRYPOINT ["itosm"]
CMD ["serve", "--config", "/app/config/itosm.compose.toml"]
