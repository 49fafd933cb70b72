-- RBAC: roles with allow/deny permission lists (deny overrides allow) and
-- their assignment to members.

-- tenant_id NULL = a global role (owner, admin, member from the setup seed),
-- visible to every tenant; otherwise a tenant's own custom role.
CREATE TABLE ws_roles (
  role_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid REFERENCES tenants (tenant_id) ON DELETE CASCADE,
  name text NOT NULL,
  scope text NOT NULL,
  allow jsonb NOT NULL DEFAULT '[]',
  deny jsonb NOT NULL DEFAULT '[]',
  created_at timestamp DEFAULT now(),
  updated_at timestamp DEFAULT now(),
  -- One name per tenant, and one name among the global roles.
  CONSTRAINT ws_roles_tenant_id_name_key UNIQUE NULLS NOT DISTINCT (tenant_id, name),
  CONSTRAINT ws_roles_scope_check CHECK (scope IN ('global', 'tenant')),
  CONSTRAINT ws_roles_scope_matches_tenant CHECK ((scope = 'global') = (tenant_id IS NULL)),
  CONSTRAINT ws_roles_allow_is_array CHECK (jsonb_typeof(allow) = 'array'),
  CONSTRAINT ws_roles_deny_is_array CHECK (jsonb_typeof(deny) = 'array')
);

CREATE TRIGGER ws_roles_set_updated_at
  BEFORE UPDATE ON ws_roles
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON COLUMN ws_roles.allow IS 'Permission patterns, e.g. ["content.*", "admin.roles.view"].';
COMMENT ON COLUMN ws_roles.deny IS 'Permission patterns that override allow, e.g. ["content.nodes.delete"].';

-- ws_roles is listed in [tenancy].global_tables (its tenant_id is nullable),
-- so pgtenant does not generate its policy; these are written by hand.
-- A tenant reads the global roles and its own; it writes only its own.
ALTER TABLE ws_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE ws_roles FORCE ROW LEVEL SECURITY;

CREATE POLICY ws_roles_read ON ws_roles
  FOR SELECT
  USING (tenant_id IS NULL
         OR tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));

CREATE POLICY ws_roles_tenant_write ON ws_roles
  FOR ALL
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid))
  WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));

-- User-role assignments within a tenant. The grantee must be a member; the
-- role must be global or the tenant's own (checked by the trigger below,
-- since a foreign key cannot say "NULL or mine").
CREATE TABLE ws_role_grants (
  grant_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL,
  user_id uuid NOT NULL,
  role_id uuid NOT NULL REFERENCES ws_roles (role_id) ON DELETE CASCADE,
  granted_by uuid,
  created_at timestamp DEFAULT now(),
  CONSTRAINT ws_role_grants_tenant_user_role_key UNIQUE (tenant_id, user_id, role_id),
  CONSTRAINT ws_role_grants_membership_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES ws_memberships (tenant_id, user_id) ON DELETE CASCADE
);

CREATE INDEX ws_role_grants_tenant_role_idx ON ws_role_grants (tenant_id, role_id);

CREATE FUNCTION ws_role_grants_check_role() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM ws_roles r
    WHERE r.role_id = NEW.role_id
      AND (r.tenant_id IS NULL OR r.tenant_id = NEW.tenant_id)
  ) THEN
    RAISE EXCEPTION 'role % is neither global nor owned by tenant %', NEW.role_id, NEW.tenant_id
      USING ERRCODE = 'foreign_key_violation',
            HINT = 'Grant a global role or one of this tenant''s own roles.';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER ws_role_grants_check_role
  BEFORE INSERT OR UPDATE OF tenant_id, role_id ON ws_role_grants
  FOR EACH ROW EXECUTE FUNCTION ws_role_grants_check_role();
