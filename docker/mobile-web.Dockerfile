# The Expo app's web export (mobile/), served by its own zero-dependency Node server, which
# also reverse-proxies /api and /ws to the backend: one origin, no CORS.
#
#   docker build -f docker/mobile-web.Dockerfile -t algotrade-mobile-web .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY mobile/package.json mobile/package-lock.json ./
RUN npm ci
COPY mobile/ ./
RUN npx expo export --platform web --output-dir dist

FROM node:20-bookworm-slim
ENV API_URL=http://web:8000
WORKDIR /app
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/scripts/serve-web.mjs ./scripts/serve-web.mjs
USER node
EXPOSE 8082
CMD ["sh", "-c", "exec node scripts/serve-web.mjs --dir dist --api \"$API_URL\" --host 0.0.0.0 --port 8082"]
