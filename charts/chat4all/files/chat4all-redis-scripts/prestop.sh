#!/bin/sh
# preStop of the redis container. When this pod is the master, asks the Sentinel of another pod
# for a failover and waits (at most FAILOVER_WAIT_SECONDS) until this pod has been demoted, so
# clients follow the new master before the pod stops instead of after down-after-milliseconds.
# Env: REDIS_SET, REDIS_HEADLESS, REDIS_REPLICAS, POD_NAMESPACE, MASTER_NAME, REDIS_PORT,
#      SENTINEL_PORT, FAILOVER_WAIT_SECONDS. Always exits 0: a failed hand-over must not block the stop.
set -u
[ "$(redis-cli -p "$REDIS_PORT" role 2>/dev/null | head -n 1)" = "master" ] || exit 0
domain="$REDIS_HEADLESS.$POD_NAMESPACE.svc"
self="$HOSTNAME.$domain"
i=0
while [ "$i" -lt "$REDIS_REPLICAS" ]; do
  peer="$REDIS_SET-$i.$domain"
  if [ "$peer" != "$self" ] && timeout 3 redis-cli -h "$peer" -p "$SENTINEL_PORT" sentinel failover "$MASTER_NAME" 2>/dev/null | grep -q OK; then
    echo "redis-prestop: failover of $MASTER_NAME requested from $peer"
    break
  fi
  i=$((i + 1))
done
waited=0
while [ "$waited" -lt "$FAILOVER_WAIT_SECONDS" ]; do
  [ "$(redis-cli -p "$REDIS_PORT" role 2>/dev/null | head -n 1)" = "master" ] || exit 0
  sleep 1
  waited=$((waited + 1))
done
exit 0
