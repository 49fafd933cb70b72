-- Audit trail for compliance. Every entry belongs to a tenant (tenant_id
-- NOT NULL); system-wide events of system admins are written through the
-- superadmin role into the tenant they concern. resource_id is a plain
-- value: the trail outlives what it describes.
CREATE TABLE audit_logs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  action audit_action NOT NULL,
  resource_type audit_resource_type NOT NULL,
  resource_id uuid,
  details jsonb NOT NULL DEFAULT '{}',
  ip_address inet,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_logs_tenant_created_at_idx ON audit_logs (tenant_id, created_at DESC);
CREATE INDEX audit_logs_tenant_resource_idx ON audit_logs (tenant_id, resource_type, resource_id);
CREATE INDEX audit_logs_tenant_user_idx ON audit_logs (tenant_id, user_id);
