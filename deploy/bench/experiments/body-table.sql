-- The two schemas and the two workloads of body-table.sh (issue 15's "body out of deliveries" lever).
SET client_min_messages = warning;
DROP TABLE IF EXISTS exp_const, deliveries_b, delivery_bodies_b, outbox_b CASCADE;
CREATE TABLE exp_const(headers jsonb, body bytea);
CREATE TABLE deliveries_b (LIKE deliveries INCLUDING DEFAULTS) WITH (fillfactor=60);
ALTER TABLE deliveries_b DROP COLUMN body, DROP COLUMN headers;
ALTER TABLE deliveries_b ADD PRIMARY KEY (id);
CREATE INDEX ON deliveries_b (integration_id, received_at DESC);
CREATE INDEX ON deliveries_b (received_at DESC, id DESC);
CREATE INDEX ON deliveries_b (integration_id, source_delivery_id) WHERE source_delivery_id IS NOT NULL;
CREATE INDEX ON deliveries_b (replay_id) WHERE replay_id IS NOT NULL;
CREATE TABLE delivery_bodies_b (id uuid PRIMARY KEY, headers jsonb NOT NULL, body bytea NOT NULL);
CREATE TABLE outbox_b (LIKE outbox INCLUDING ALL);
CREATE OR REPLACE FUNCTION outbox_b_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox_b (delivery_ids, received_at, integration_ids, providers, received_ats, trace_parents, attempts)
    SELECT array_agg(id), min(received_at), array_agg(integration_id), array_agg(provider), array_agg(received_at),
           array_agg(trace_parent), array_agg(attempts)
    FROM inserted_deliveries WHERE status = 'accepted' AND published_at IS NULL HAVING count(*) > 0;
    RETURN NULL;
END $$;
CREATE TRIGGER trg_b AFTER INSERT ON deliveries_b REFERENCING NEW TABLE AS inserted_deliveries FOR EACH STATEMENT EXECUTE FUNCTION outbox_b_add();

CREATE OR REPLACE FUNCTION exp_ingest_a(n int) RETURNS void LANGUAGE sql AS $$
INSERT INTO deliveries (id, integration_id, provider, received_at, headers, content_type, body, source_delivery_id, signature_verified, status, attempts, applied, duplicates, no_target)
SELECT gen_random_uuid(), ('00000000-0000-0000-0000-00000000000' || (g % 8))::uuid, 'jira', clock_timestamp(), c.headers, 'application/json', c.body, md5(random()::text), true, 'accepted', 0, 0, 0, 0
FROM generate_series(1, n) g, exp_const c
$$;
CREATE OR REPLACE FUNCTION exp_ingest_b(n int) RETURNS void LANGUAGE sql AS $$
WITH rows AS (SELECT gen_random_uuid() AS id, g FROM generate_series(1, n) g),
bodies AS (INSERT INTO delivery_bodies_b SELECT r.id, c.headers, c.body FROM rows r, exp_const c)
INSERT INTO deliveries_b (id, integration_id, provider, received_at, content_type, source_delivery_id, signature_verified, status, attempts, applied, duplicates, no_target)
SELECT r.id, ('00000000-0000-0000-0000-00000000000' || (r.g % 8))::uuid, 'jira', clock_timestamp(), 'application/json', md5(random()::text), true, 'accepted', 0, 0, 0, 0
FROM rows r
$$;
CREATE OR REPLACE FUNCTION exp_work_a(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE ids uuid[]; total bigint;
BEGIN
  WITH o AS (DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED) RETURNING delivery_ids) SELECT coalesce(array_agg(x), '{}') INTO ids FROM (SELECT unnest(delivery_ids) x FROM o) s;
  SELECT sum(length(body) + length(headers::text)) INTO total FROM (SELECT * FROM deliveries WHERE id = ANY(ids) ORDER BY id FOR UPDATE) d;
  UPDATE deliveries d SET status = 'processed', attempts = d.attempts + 1, applied = 1, processed_at = now(), published_at = coalesce(d.published_at, now()) WHERE d.id = ANY(ids);
  RETURN cardinality(ids);
END $$;
CREATE OR REPLACE FUNCTION exp_work_b(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE ids uuid[]; total bigint;
BEGIN
  WITH o AS (DELETE FROM outbox_b WHERE id IN (SELECT id FROM outbox_b ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED) RETURNING delivery_ids) SELECT coalesce(array_agg(x), '{}') INTO ids FROM (SELECT unnest(delivery_ids) x FROM o) s;
  SELECT sum(length(b.body) + length(b.headers::text)) INTO total FROM (SELECT * FROM deliveries_b WHERE id = ANY(ids) ORDER BY id FOR UPDATE OF deliveries_b) d JOIN delivery_bodies_b b ON b.id = d.id;
  UPDATE deliveries_b d SET status = 'processed', attempts = d.attempts + 1, applied = 1, processed_at = now(), published_at = coalesce(d.published_at, now()) WHERE d.id = ANY(ids);
  RETURN cardinality(ids);
END $$;
