-- The seed's example tenant table, with soft delete, and the audit log.

CREATE TABLE projects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);

CREATE INDEX projects_org_id_idx ON projects (organization_id);
-- Live projects of an organization (queries filter deleted_at IS NULL).
CREATE INDEX projects_org_live_idx ON projects (organization_id, created_at DESC) WHERE deleted_at IS NULL;

CREATE TRIGGER projects_set_updated_at BEFORE UPDATE ON projects
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Immutable log of all significant actions.
CREATE TABLE audit_logs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  action text NOT NULL,
  resource_type text NOT NULL,
  resource_id text,
  metadata jsonb NOT NULL DEFAULT '{}',
  ip_address inet,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT audit_logs_action_format CHECK (action ~ '^[a-z_]+\.[a-z_]+$')
);

CREATE INDEX audit_logs_org_created_at_idx ON audit_logs (organization_id, created_at DESC);
CREATE INDEX audit_logs_org_resource_idx ON audit_logs (organization_id, resource_type, resource_id);
CREATE INDEX audit_logs_user_id_idx ON audit_logs (user_id);

-- Immutability: no UPDATE ever; no direct DELETE. Rows still go when their
-- organization is deleted (the cascade runs one trigger level deeper) or
-- when their user is deleted (the SET NULL is an UPDATE from the same
-- cascade, also one level deeper).
CREATE FUNCTION audit_logs_immutable() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF pg_trigger_depth() > 1 THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Record a new audit entry instead of changing an old one.';
END
$$;

CREATE TRIGGER audit_logs_immutable
  BEFORE UPDATE OR DELETE ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION audit_logs_immutable();
