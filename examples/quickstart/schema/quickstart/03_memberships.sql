-- Which user belongs to which tenant, and as what. Tenant-scoped.
CREATE TABLE memberships (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);

-- "Which tenants does this user belong to?" (the primary key leads with tenant_id).
CREATE INDEX memberships_user_id_idx ON memberships (user_id);
