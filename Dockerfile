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
RUN npm run build

# --- edge: nginx plus the Socket.IO browser client for the demo page, taken from the installed socket.io-client
#     (a devDependency, so only the build stage has it): the page loads it from /vendor/, never from a CDN ------
FROM nginx:1.27 AS edge
COPY --from=build /app/node_modules/socket.io-client/dist/socket.io.esm.min.js /app/node_modules/socket.io-client/dist/socket.io.esm.min.js.map /usr/share/nginx/vendor/

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
