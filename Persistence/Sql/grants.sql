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
    -- Deliveries: written by COPY; the outbox relay claims and marks published. Never reads a body back.
    GRANT INSERT ON deliveries TO webhooks_ingress;
    GRANT SELECT (id, integration_id, provider, received_at, status, published_at, trace_parent) ON deliveries TO webhooks_ingress;
    GRANT UPDATE (status, published_at) ON deliveries TO webhooks_ingress;
    -- The Data Protection key ring (encryption of secrets at rest).
    GRANT SELECT, INSERT ON data_protection_keys TO webhooks_ingress;
    EXECUTE format('GRANT USAGE ON SEQUENCE %s TO webhooks_ingress', pg_get_serial_sequence('data_protection_keys', 'id'));
  END IF;

  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'webhooks_worker') THEN
    -- The workers read and write the domain but never delete, truncate or change the schema.
    EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM webhooks_worker';
    EXECUTE 'GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO webhooks_worker';
    EXECUTE 'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO webhooks_worker';
    -- The migrations history is the owner's business.
    EXECUTE 'REVOKE INSERT, UPDATE ON "__EFMigrationsHistory" FROM webhooks_worker';
  END IF;
END
$grants$;
