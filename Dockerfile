# pipeguard container image: one static binary, CA certificates, nothing else.
#   docker build -t pipeguard .
#   docker run --rm -v "$PWD:/src:ro" -w /src pipeguard scan .
# For Jenkins agents (`agent { docker { image … } }`), Kubernetes init-container deploy gates
# (docs/attest.md) and any other CI; docs/docker-image.md. Released as ghcr.io/pipeguard/pipeguard.

# Build: the `dist` profile, statically linked against glibc (+crt-static), so the binary runs in
# an empty image. Debian's rust image has the static C library and the CA bundle already: no
# package is installed here.
FROM rust:1.95-bookworm@sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1 AS build
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
WORKDIR /src
COPY . .
ENV CARGO_TARGET_DIR=/target RUSTFLAGS="-C target-feature=+crt-static"
RUN target="$(rustc -vV | sed -n 's/^host: //p')" \
 && cargo build --locked --profile dist --target "$target" -p pipeguard --bin pipeguard \
 && install -D -m 0755 "/target/$target/dist/pipeguard" /out/pipeguard \
 && /out/pipeguard --version \
 && case "$(ldd /out/pipeguard 2>&1 || true)" in *"=>"*) echo "pipeguard is not static" >&2; exit 1 ;; esac

FROM scratch
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="pipeguard" \
      org.opencontainers.image.description="Build-integrity and pipeline-hardening scanner for CI: workflows, Jenkins, secrets, Dockerfiles, IaC, drift and attestations" \
      org.opencontainers.image.source="https://github.com/pipeguard/pipeguard" \
      org.opencontainers.image.url="https://github.com/pipeguard/pipeguard" \
      org.opencontainers.image.documentation="https://github.com/pipeguard/pipeguard/blob/main/docs/docker-image.md" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="pipeguard" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/pipeguard /usr/local/bin/pipeguard
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /src
# An unprivileged numeric user (scratch has no /etc/passwd); mount the repository read-only.
USER 65532:65532
# A command-line tool, not a service: there is nothing to probe.
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/pipeguard"]
CMD ["--help"]
