#!/bin/sh
# Entry point of each Kafka pod (images/kafka): the node id is the pod's ordinal in its StatefulSet
# (kafka-2 is node 2), matching KAFKA_CONTROLLER_QUORUM_VOTERS; then the image's `kafka-run`
# renders /conf/server.properties from the KAFKA_* variables and starts a combined
# broker+controller in KRaft mode (formatting the data directory with CLUSTER_ID on first start).
set -eu
KAFKA_NODE_ID="${HOSTNAME##*-}"
export KAFKA_NODE_ID
exec /opt/kafka/kafka-run
