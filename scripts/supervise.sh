#!/usr/bin/env bash
# Run a command, and run it again whenever it exits, as systemd's Restart=always or compose's
# `restart: unless-stopped` do in production (docker/compose.yaml). `make run` wraps the Celery
# processes in it: a Celery worker may exit when its Redis connection drops (Redis restarted),
# and honcho would otherwise stop every process of the platform with it.
# SIGTERM/SIGINT stop the command and this loop. Backoff 1 s doubling to 30 s; reset after a
# run of 60 s or more.
set -u
child=0
stop() {
  trap - TERM INT
  if [ "$child" -ne 0 ]; then kill -TERM "$child" 2>/dev/null; wait "$child"; fi
  exit 0
}
trap stop TERM INT
delay=1
while true; do
  started=$SECONDS
  "$@" &
  child=$!
  wait "$child"
  rc=$?
  child=0
  if [ $((SECONDS - started)) -ge 60 ]; then delay=1; fi
  echo "supervise: '$*' exited with status $rc; starting it again in ${delay} s" >&2
  sleep "$delay" &
  wait $!
  delay=$((delay < 30 ? delay * 2 : 30))
done
