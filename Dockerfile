# syntax=docker/dockerfile:1
# ngctl (the CLI and `ngctl controller`) as a static binary on distroless, non-root.
#   docker build -t ghcr.io/nodeguardian/ngctl:$(git describe --tags --always) \
#     --build-arg VERSION=$(git describe --tags --always --dirty) --build-arg COMMIT=$(git rev-parse HEAD) .
# deploy/deployment.yaml runs it as `ngctl controller`; deploy/dockerfile_test.go checks this file.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# .git is not in the build context, so the Makefile's fallback stamps the version.
ARG VERSION=dev
ARG COMMIT=unknown
ARG TARGETOS=linux
ARG TARGETARCH
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
    -o /out/ngctl ./cmd/ngctl

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ngctl /ngctl
USER 65532:65532
ENTRYPOINT ["/ngctl"]
