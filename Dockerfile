# OpenMnT in a container. Build: docker build -t openmnt .
# Run:   docker run -d --name openmnt -p 1812:1812/udp -p 1813:1813/udp -p 8443:8443 \
#          -v openmnt-data:/var/lib/openmnt -v "$PWD/openmnt.yaml:/etc/openmnt/openmnt.yaml:ro" openmnt
# The first start prints the demo admin's password: docker logs openmnt

# Build stage: the compiler toolchain better-sqlite3 needs, the TypeScript build, production modules.
FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
# npm ci runs it after install: the postgres driver's closed-connection guard (see the script).
COPY scripts/patch-postgres-driver.mjs ./scripts/
RUN npm ci --no-fund --no-audit
COPY tsconfig.json ./
COPY src ./src
COPY ui ./ui
COPY bin ./bin
COPY openmnt.example.yaml ./
RUN npx tsc -p tsconfig.json && npx vite build -c ui/vite.config.ts && npm prune --omit=dev

# Runtime stage: no compiler, no sources, no dev modules; an unprivileged user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    CONFIGURATION_DIRECTORY=/etc/openmnt \
    STATE_DIRECTORY=/var/lib/openmnt \
    OPENMNT_API__PORT=8443
WORKDIR /opt/openmnt
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/ui ./dist/ui
COPY --from=build /src/bin ./bin
COPY --from=build /src/package.json /src/openmnt.example.yaml ./
RUN groupadd --system openmnt \
 && useradd --system --gid openmnt --home-dir /var/lib/openmnt --shell /usr/sbin/nologin openmnt \
 && install -d -o openmnt -g openmnt -m 0700 /var/lib/openmnt \
 && install -d -m 0755 /etc/openmnt \
 && ln -s /opt/openmnt/bin/openmnt.js /usr/local/bin/openmnt
USER openmnt
VOLUME ["/var/lib/openmnt"]
EXPOSE 1812/udp 1813/udp 8443/tcp
# /health answers 503 when the store cannot commit; the certificate is the node's own, so it is not checked here.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('https').get({host:'127.0.0.1',port:process.env.OPENMNT_API__PORT||8443,path:'/health',rejectUnauthorized:false},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
ENTRYPOINT ["openmnt"]
CMD ["serve"]
