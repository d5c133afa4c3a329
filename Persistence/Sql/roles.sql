-- The ingress's and the workers' login roles, made (or given their password again) by whoever may create roles:
-- deploy/services/start.sh and fault-instances.sh as postgres, or the migrate verb when it is given the passwords
-- (DatabaseRoles:IngressPassword, DatabaseRoles:WorkerPassword: compose and Kubernetes, where the owner may create roles).
-- The passwords arrive as the session settings webhooks.ingress_password and webhooks.worker_password; a role whose
-- password is not set is left alone. LOGIN and nothing else: what the roles may touch is grants.sql, applied after
-- every migration.
DO $roles$
DECLARE
  program text;
  role text;
  password text;
BEGIN
  FOREACH program IN ARRAY ARRAY['ingress', 'worker'] LOOP
    role := 'webhooks_' || program;
    password := current_setting('webhooks.' || program || '_password', true);
    CONTINUE WHEN password IS NULL OR password = '';
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role) THEN
      EXECUTE format('CREATE ROLE %I LOGIN NOCREATEDB NOCREATEROLE PASSWORD %L', role, password);
    ELSE
      EXECUTE format('ALTER ROLE %I LOGIN NOCREATEDB NOCREATEROLE PASSWORD %L', role, password);
    END IF;
  END LOOP;
END
$roles$;
