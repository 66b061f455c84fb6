# csr-operator container image.
# Build stage: Debian bookworm with the same packages as development (scripts/install-deps.sh).
# Runtime stage: bookworm-slim with exactly the packages that own the shared libraries the binary
# links (read from ldd in the build stage), as uid 65532.
# Both stages start from BASE_IMAGE so that one local base image serves an offline build
# (scripts/build-image.sh imports a debootstrapped bookworm under the tag). A release pins it by
# digest: --build-arg BASE_IMAGE=docker.io/library/debian:bookworm-slim@sha256:<digest>
# (docs/deploy.md, "Releasing the image", says how to read the digest).
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
# The commit for csr_operator_build_info and the image label: the build context has no .git.
ARG COMMIT=unknown
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN WITH_TEST_TOOLS=0 bash scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
# RelWithDebInfo (-O2) is the build type scripts/test.sh tests; the symbols are stripped below.
# Release (-O3) also trips GCC 12's false -Wrestrict warnings on std::string concatenation.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCSR_BUILD_TESTS=OFF -DCSR_BUILD_BENCH=OFF -DCSR_OPERATOR_COMMIT="${COMMIT}" \
 && cmake --build /build --target csr-operator -j2 \
 && install -D -m 0755 "$(find /build -type f -name csr-operator -perm -u+x | head -n 1)" /out/csr-operator \
 && strip --strip-unneeded /out/csr-operator \
 && /out/csr-operator version
# The Debian packages that own the libraries the binary links: the runtime stage installs these
# and no others.
RUN bash scripts/runtime-packages.sh /out/csr-operator > /out/runtime-packages \
 && echo "runtime packages:" $(cat /out/runtime-packages)

FROM ${BASE_IMAGE}
ARG COMMIT=unknown
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="csr-operator" \
      org.opencontainers.image.description="Approves and signs Kubernetes CertificateSigningRequests: kubelet serving and client certificates with node-bound checks, custom signers, kubeadm External CA mode" \
      org.opencontainers.image.source="https://github.com/csr-operator/csr-operator" \
      org.opencontainers.image.url="https://github.com/csr-operator/csr-operator" \
      org.opencontainers.image.documentation="https://github.com/csr-operator/csr-operator/blob/main/README.md" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="csr-operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
COPY --from=build /out/runtime-packages /tmp/runtime-packages
# ca-certificates is no library: it is the system trust store, used when a kubeconfig's cluster
# (or the machineKubeconfig of a management cluster) names no certificate authority of its own.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        $(cat /tmp/runtime-packages) ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /tmp/runtime-packages
COPY --from=build /out/csr-operator /usr/local/bin/csr-operator
COPY LICENSE /usr/share/doc/csr-operator/LICENSE
# Fails the build when a shared library is missing from the runtime stage.
RUN ! ldd /usr/local/bin/csr-operator | grep -q "not found" && /usr/local/bin/csr-operator version
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/csr-operator"]
CMD ["run", "--config", "/etc/csr-operator/config/config.yaml"]
