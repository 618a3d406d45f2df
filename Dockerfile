# syntax=docker/dockerfile:1
# One image for both apps; the command picks which one runs:
#   docker run IMAGE                                                  -> auth (default CMD)
#   docker run IMAGE node dist/apps/gateway/apps/gateway/src/main.js  -> a gateway replica
# The `edge` stage is the nginx image of docker-compose.yml (built with `target: edge`), not part of IMAGE.

# --- build: all dependencies (TypeScript, Nest CLI), compile both apps ---------------------------------
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json nest-cli.json ./
COPY libs ./libs
COPY apps ./apps
# build:client (part of `npm run build`): scripts/build-client.mjs and what it imports (.dockerignore lets only these in)
COPY scripts/build-client.mjs ./scripts/
COPY scripts/lib/build.mjs scripts/lib/processes.mjs ./scripts/lib/
RUN npm run build

# --- edge: nginx plus the client SDK's browser bundle (SDK + socket.io-client, built with esbuild, a
#     devDependency, so only in the build stage): the demo page loads it from /vendor/, never from a CDN ------
FROM nginx:1.27 AS edge
COPY --from=build /app/dist/client/sessionwire-client.js /app/dist/client/sessionwire-client.js.map /usr/share/nginx/vendor/
# The template and the demo page, so the image runs without mounts (Kubernetes: deploy/kubernetes); compose mounts
# the same files over them. The image's entrypoint renders /etc/nginx/templates/*.template.
COPY nginx/nginx.conf.template /etc/nginx/templates/nginx.conf.template
COPY nginx/demo /usr/share/nginx/demo

# --- runtime: production dependencies and the compiled output only, as the unprivileged `node` user -------
FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# Files stay owned by root: the app can read its code but not change it.
USER node
EXPOSE 3000
CMD ["node", "dist/apps/auth/apps/auth/src/main.js"]
