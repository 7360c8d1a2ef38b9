# syntax=docker/dockerfile:1
# The one image of dect-operator: `manager` (the reconcilers) and `serve` (the
# provisioning server) are subcommands of the same static binary.
#
#   docker build -t ghcr.io/dect-operator/dect-operator:v0.1.0 .
#
# Multi-platform: docker buildx build --platform linux/amd64,linux/arm64 ...

FROM --platform=$BUILDPLATFORM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src

# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
# Static (no cgo), reproducible paths (-trimpath), no symbol tables.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/dect-operator ./cmd/dect-operator

# distroless/static: no shell, no package manager; CA certificates and /etc/passwd
# with the nonroot user 65532 only.
FROM gcr.io/distroless/static:nonroot
COPY --from=builder /out/dect-operator /dect-operator
USER 65532:65532
ENTRYPOINT ["/dect-operator"]
