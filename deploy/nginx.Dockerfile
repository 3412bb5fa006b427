# Offline builds only: Debian's nginx on the debootstrap base. On a cluster compose uses the official nginx
# image (GATEWAY_IMAGE) with the same deploy/nginx.conf, and this file is not used.
ARG BASE=reward-sandbox/base:bookworm
FROM ${BASE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light \
    && rm -rf /var/lib/apt/lists/*
USER www-data
EXPOSE 8000
CMD ["nginx", "-g", "daemon off;"]
