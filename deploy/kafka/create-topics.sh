#!/bin/sh
# Creates sharewatch's topics once Kafka answers; run by the kafka-topics
# service in docker-compose.yml (apache/kafka image). Idempotent.
set -eu

bootstrap="${KAFKA_BOOTSTRAP:-kafka:9092}"
topics=/opt/kafka/bin/kafka-topics.sh

i=0
until "$topics" --bootstrap-server "$bootstrap" --list >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -ge 60 ]; then
		echo "kafka at $bootstrap did not answer within 120 s" >&2
		exit 1
	fi
	sleep 2
done

# name partitions: logins is keyed by account_id, so its partition count
# bounds how many sharewatch instances share the work.
for spec in logins:8 logins.dlq:1 account-holds:4; do
	name="${spec%%:*}"
	partitions="${spec##*:}"
	"$topics" --bootstrap-server "$bootstrap" --create --if-not-exists \
		--topic "$name" --partitions "$partitions" --replication-factor 1
done
"$topics" --bootstrap-server "$bootstrap" --describe --topic logins
