#!/bin/sh
# Init container of each Redis pod: writes /conf/redis.conf and /conf/sentinel.conf.
# Env: REDIS_SET (StatefulSet name), REDIS_HEADLESS (its headless Service), REDIS_REPLICAS,
#      POD_NAMESPACE, MASTER_NAME, SENTINEL_QUORUM (default: a majority of REDIS_REPLICAS),
#      REDIS_PORT, SENTINEL_PORT, DOWN_AFTER_MS, FAILOVER_TIMEOUT_MS.
# The master is the one a running Sentinel of another pod reports; with none answering (a fresh
# cluster, or every pod restarted at once) it is pod 0. Pods announce their stable DNS names.
set -eu
quorum="${SENTINEL_QUORUM:-$((REDIS_REPLICAS / 2 + 1))}"
domain="$REDIS_HEADLESS.$POD_NAMESPACE.svc"
self="$HOSTNAME.$domain"
master=""
i=0
while [ "$i" -lt "$REDIS_REPLICAS" ]; do
  peer="$REDIS_SET-$i.$domain"
  if [ "$peer" != "$self" ]; then
    answer="$(timeout 3 redis-cli -h "$peer" -p "$SENTINEL_PORT" --raw sentinel get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | head -n 1 || true)"
    case "$answer" in
      "" | *ERR* | *rror*) ;;
      *) master="$answer"; break ;;
    esac
  fi
  i=$((i + 1))
done
[ -n "$master" ] || master="$REDIS_SET-0.$domain"

{
  echo "port $REDIS_PORT"
  echo "bind * -::*"
  echo "protected-mode no"
  echo "dir /data"
  echo "appendonly yes"
  echo "replica-announce-ip $self"
  if [ "$master" != "$self" ]; then echo "replicaof $master $REDIS_PORT"; fi
} >/conf/redis.conf

{
  echo "port $SENTINEL_PORT"
  echo "dir /conf"
  echo "sentinel resolve-hostnames yes"
  echo "sentinel announce-hostnames yes"
  echo "sentinel announce-ip $self"
  echo "sentinel monitor $MASTER_NAME $master $REDIS_PORT $quorum"
  echo "sentinel down-after-milliseconds $MASTER_NAME $DOWN_AFTER_MS"
  echo "sentinel failover-timeout $MASTER_NAME $FAILOVER_TIMEOUT_MS"
  echo "sentinel parallel-syncs $MASTER_NAME 1"
} >/conf/sentinel.conf

if [ "$master" = "$self" ]; then echo "redis-init: $self starts as the master"; else echo "redis-init: $self starts as a replica of $master"; fi
