-- Least privilege for the two application roles. Run after every migration by PersistenceExtensions.MigrateAsync
-- (so new tables are covered), as the owner role; a role that does not exist is skipped.
-- deploy/services/start.sh creates the roles for the local stack.
DO $grants$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'webhooks_ingress') THEN
    -- Start from nothing, so a privilege removed here is removed from the database too.
    EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM webhooks_ingress';
    EXECUTE 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM webhooks_ingress';
    -- The in-memory directory: integrations joined to their account's status, with their signing secrets.
    GRANT SELECT (id, account_id, provider, enabled, token_hash, settings, directory_version, handshake_window_until) ON integrations TO webhooks_ingress;
    GRANT SELECT (id, status, directory_version) ON accounts TO webhooks_ingress;
    GRANT SELECT (id, integration_id, secret, created_at, expires_at) ON integration_signing_secrets TO webhooks_ingress;
    -- Asana hands over a signing secret in each webhook's handshake: the ingress adds one (never changes or removes
    -- one, never sets an expiry). It locks the integration row while deciding (FOR NO KEY UPDATE needs UPDATE on one
    -- column), and the secrets' trigger touches directory_version, which bump_directory_version then numbers.
    GRANT INSERT (id, integration_id, secret, created_at) ON integration_signing_secrets TO webhooks_ingress;
    GRANT UPDATE (directory_version) ON integrations TO webhooks_ingress;
    GRANT USAGE ON SEQUENCE directory_version_seq TO webhooks_ingress;
    -- Deliveries: written by COPY (whose trigger adds the outbox rows); the outbox relay claims (locks) outbox rows and
    -- deletes them once sent (a delivery attempted before is sent alone, so it reads attempts). It never changes a
    -- delivery: `queued` is read from the outbox (ShownDeliveryStatus). UPDATE on outbox because FOR UPDATE needs it
    -- and a partly sent row keeps only its unsent deliveries. Never reads a body back.
    GRANT INSERT ON deliveries TO webhooks_ingress;
    GRANT SELECT (id, integration_id, provider, received_at, status, trace_parent, attempts) ON deliveries TO webhooks_ingress;
    GRANT SELECT, INSERT, DELETE, UPDATE ON outbox TO webhooks_ingress;
    -- The Data Protection key ring (encryption of secrets at rest).
    GRANT SELECT, INSERT ON data_protection_keys TO webhooks_ingress;
    EXECUTE format('GRANT USAGE ON SEQUENCE %s TO webhooks_ingress', pg_get_serial_sequence('data_protection_keys', 'id'));
  END IF;

  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'webhooks_worker') THEN
    -- Start from nothing (table and column privileges, sequences): a table not named here, the migrations history, the
    -- users and any table added later, is out of the workers' reach. Derived from what Workers/ runs; no DELETE,
    -- TRUNCATE, REFERENCES or TRIGGER anywhere, and no DDL (the owner runs migrations).
    EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM webhooks_worker';
    EXECUTE 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM webhooks_worker';
    -- Deliveries: read whole (SELECT * ... FOR UPDATE, bodies to parse); the outcome is written, and a replay from the
    -- command line, or a delivery that failed in a batch message, is put back in the outbox (status, published_at,
    -- last_error, replay_id); never the body,
    -- headers, integration or signature flag of a stored delivery. Held deliveries (Workers/Holding) are inserted once
    -- their seal verified. Both add the delivery's outbox row through the triggers on deliveries, which run as the
    -- worker: it may insert there and read it (the command line shows a waiting delivery as accepted, a sent one as
    -- queued), never delete.
    GRANT SELECT ON deliveries TO webhooks_worker;
    GRANT UPDATE (status, attempts, last_error, applied, duplicates, no_target, processed_at, published_at, replay_id) ON deliveries TO webhooks_worker;
    GRANT INSERT (id, integration_id, provider, received_at, headers, content_type, body, source_delivery_id, signature_verified,
                  status, attempts, applied, duplicates, no_target) ON deliveries TO webhooks_worker;
    GRANT SELECT, INSERT ON outbox TO webhooks_worker;
    -- Integrations and who they act for: never the token hash or the handshake window (Workers/Applying/IntegrationColumns),
    -- and nothing of integration_signing_secrets: the workers never verify a signature.
    GRANT SELECT (id, account_id, product_id, provider, version, name, enabled, run_as_user_id, template_id, settings, created_at, updated_at) ON integrations TO webhooks_worker;
    GRANT SELECT (id, status) ON accounts TO webhooks_worker;
    GRANT SELECT (id, account_id) ON products TO webhooks_worker;
    GRANT SELECT (product_id, user_id, role) ON memberships TO webhooks_worker;
    GRANT SELECT (record_id, integration_id, external_id) ON links TO webhooks_worker;
    -- Records are locked and read whole (SELECT * ... FOR UPDATE); only the fields a change sets are written.
    GRANT SELECT ON records TO webhooks_worker;
    -- Each field keeps when the sender changed it and when we received that change (last writer wins, Workers/Applying).
    GRANT UPDATE (name, description, status, updated_by_user_id, updated_at, name_source_at, description_source_at, status_source_at,
                  name_received_at, description_received_at, status_received_at) ON records TO webhooks_worker;
    GRANT SELECT, INSERT ON comments TO webhooks_worker;
    GRANT UPDATE (body, author_user_id, source_author, source_updated_at, source_received_at, deleted, updated_at) ON comments TO webhooks_worker;
    -- History and the ledger are insert-only; the ledger's key columns are readable because its insert says which keys
    -- it took (ON CONFLICT DO NOTHING RETURNING record_id, dedup_key).
    GRANT INSERT (record_id, user_id, action, "before", "after", "at", delivery_id, integration_id) ON audit_entries TO webhooks_worker;
    GRANT INSERT (record_id, dedup_key, delivery_id, applied_at) ON applied_changes TO webhooks_worker;
    GRANT SELECT (record_id, dedup_key) ON applied_changes TO webhooks_worker;
    -- The Data Protection key ring: read to decrypt API tokens and held-delivery seals; the workers never make keys.
    GRANT SELECT (id, xml) ON data_protection_keys TO webhooks_worker;
  END IF;
END
$grants$;
