-- Work items assigned to members of a tenant.
CREATE TABLE tasks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid,
  site_id uuid,
  device_id uuid,
  title text NOT NULL,
  description text,
  priority task_priority NOT NULL DEFAULT 'medium',
  due_date timestamptz,
  completed_at timestamptz,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- The assignee is a member of the task's tenant; unassigning on removal
  -- clears user_id only (tenant_id stays).
  CONSTRAINT tasks_assignee_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES user_tenant_associations (tenant_id, user_id) ON DELETE SET NULL (user_id),
  CONSTRAINT tasks_site_fkey FOREIGN KEY (tenant_id, site_id)
    REFERENCES sites (tenant_id, id) ON DELETE SET NULL (site_id),
  CONSTRAINT tasks_device_fkey FOREIGN KEY (tenant_id, device_id)
    REFERENCES devices (tenant_id, id) ON DELETE SET NULL (device_id)
);

-- "My open tasks by due date", and "the tenant's tasks by priority".
CREATE INDEX tasks_tenant_user_due_idx ON tasks (tenant_id, user_id, due_date) WHERE completed_at IS NULL;
CREATE INDEX tasks_tenant_priority_idx ON tasks (tenant_id, priority, due_date);

CREATE TRIGGER tasks_set_updated_at BEFORE UPDATE ON tasks
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Invitations to join a tenant. Only a SHA-256 of the token is stored; the
-- invite link carries the tenant id, so acceptance runs in its context.
CREATE TABLE tenant_invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  email text NOT NULL,
  role tenant_role NOT NULL DEFAULT 'member',
  token_hash bytea NOT NULL,
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tenant_invitations_tenant_token_unique UNIQUE (tenant_id, token_hash),
  CONSTRAINT tenant_invitations_token_hash_length CHECK (octet_length(token_hash) = 32)
);

CREATE INDEX tenant_invitations_tenant_email_idx ON tenant_invitations (tenant_id, lower(email));
