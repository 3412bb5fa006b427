# Offline builds only: Debian's redis-server on the debootstrap base. On a cluster compose uses the official
# redis image (REDIS_IMAGE) and this file is not used.
ARG BASE=reward-sandbox/base:bookworm
FROM ${BASE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data && chown redis:redis /data
# compose mounts a named volume at /data (appendonly): a new volume takes this directory's owner.
WORKDIR /data
USER redis
EXPOSE 6379
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--appendonly", "no", "--save", ""]
