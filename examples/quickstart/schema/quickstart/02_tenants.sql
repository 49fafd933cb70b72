-- The tenant root: its primary key is the tenant id every tenant table carries.
CREATE TABLE tenants (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
