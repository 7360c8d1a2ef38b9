# The one image of dect-operator: `manager` (the reconcilers) and `serve` (the
# provisioning server) are subcommands of the same static binary.
#
# Build it with `make image` (IMG=<name:tag> to name it), which first builds the static
# binary with the Go toolchain on the host, then copies it onto the base image here:
#
#   make image IMG=registry.example.com/dect-operator:v0.1.0
#
# The binary is built outside Docker on purpose: `make image` then needs no builder
# image from a registry, only Go and a Docker engine, and the same file builds in CI,
# on the project's machines (where no registry can be reached) and on yours.
#
# BASE_IMAGE: distroless/static:nonroot by default (no shell, no package manager;
# /etc/passwd with the user nonroot, 65532, and CA certificates, which the binary does
# not need: it talks only to the API server, with the ServiceAccount's CA). The cluster
# test (make test-cluster) passes a base built locally from files, since it cannot pull
# one; nothing else differs.
#
# Multi-platform: build the binary per platform (make image-binary GOARCH=arm64), then
#   docker buildx build --platform linux/amd64,linux/arm64 -t <name:tag> .
ARG BASE_IMAGE=gcr.io/distroless/static:nonroot
FROM ${BASE_IMAGE}
# Set by BuildKit for each platform; `make image` passes them for the classic builder.
ARG TARGETOS
ARG TARGETARCH
COPY bin/image/${TARGETOS}_${TARGETARCH}/dect-operator /dect-operator
USER 65532:65532
ENTRYPOINT ["/dect-operator"]
