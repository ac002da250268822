# The `roe serve` image: build the binary with the official Rust image, then run it
# as a non-root user on a slim Debian. Policies are not baked in: mount them at
# /policies (a volume, or a Kubernetes ConfigMap; see deploy/ and docs/scaling.md).
#
#   docker build -t roe:latest .
#   docker run --rm -p 8080:8080 -v "$PWD/examples:/policies:ro" roe:latest
#
# Arguments given to `docker run` (or a Kubernetes container's `args`) replace the
# CMD below and are flags of `roe serve`, which the ENTRYPOINT runs.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# --locked: build exactly the dependencies of Cargo.lock.
RUN cargo build --release --locked --bin roe

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# A fixed numeric uid and gid, so Kubernetes' runAsNonRoot can check them.
RUN groupadd --system --gid 10001 roe \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin roe \
    && mkdir /policies
COPY --from=build /src/target/release/roe /usr/local/bin/roe
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/roe", "serve"]
CMD ["--policies", "/policies", "--addr", "0.0.0.0:8080"]
