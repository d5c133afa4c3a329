#!/bin/sh
# compose's rabbitmq-setup one shot (rabbitmq:3.10-management image, as the administrator): the programs' users and
# the admin API's dead-letter user (webhooks_operator) with exactly the permissions of
# deploy/services/rabbitmq-permissions.txt (mounted at /webhooks), and the delivery-limit policy. Idempotent: runs on
# every `docker compose up`, so a changed password or permission is applied again.
set -eu
admin() { rabbitmqadmin --host=rabbitmq --port=15672 --vhost=webhooks --username=webhooks --password="$RABBITMQ_PASSWORD" "$@"; }

# Crash-loop guard for quorum queues (masstransit.md §2.1): by POLICY on the main queues only. The pattern never
# matches webhooks-<provider>_error, where a limit would drop what the replay tool requeues; never a queue argument
# (MassTransit would copy it onto _error). RabbitMQ 3.10 has no default limit.
admin declare policy name=webhooks-delivery-limit pattern='^webhooks-[a-z]+$' apply-to=queues priority=0 definition='{"delivery-limit":20}'

# fd 3: nothing in the loop may swallow the rest of the file.
while read -r program configure write read <&3; do
  case "$program" in
    ingress) password="$RABBITMQ_INGRESS_PASSWORD" ;;
    worker) password="$RABBITMQ_WORKER_PASSWORD" ;;
    operator) password="$RABBITMQ_OPERATOR_PASSWORD" ;;
    *) continue ;;
  esac
  admin declare user name="webhooks_$program" password="$password" tags=
  admin declare permission vhost=webhooks user="webhooks_$program" configure="$configure" write="$write" read="$read"
done 3< /webhooks/rabbitmq-permissions.txt
