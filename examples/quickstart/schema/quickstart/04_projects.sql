-- A tenant-scoped table: tenant_id first in every key and index, and a
-- foreign key to another tenant table includes tenant_id, so a row can never
-- point into another tenant.
CREATE TABLE projects (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name),
    FOREIGN KEY (tenant_id, created_by) REFERENCES memberships (tenant_id, user_id)
        ON DELETE SET NULL (created_by)
);

CREATE INDEX projects_tenant_id_created_at_idx ON projects (tenant_id, created_at);
