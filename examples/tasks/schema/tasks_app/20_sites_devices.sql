-- Physical sites of a tenant, who is assigned to them, and their devices.

CREATE TABLE sites (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name text NOT NULL,
  code text,
  address text,
  city text,
  country text,
  latitude numeric(9, 6),
  longitude numeric(9, 6),
  timezone text NOT NULL DEFAULT 'UTC',
  metadata jsonb NOT NULL DEFAULT '{}',
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT sites_tenant_id_id_unique UNIQUE (tenant_id, id),
  CONSTRAINT sites_tenant_id_code_unique UNIQUE (tenant_id, code),
  CONSTRAINT sites_latitude_range CHECK (latitude BETWEEN -90 AND 90),
  CONSTRAINT sites_longitude_range CHECK (longitude BETWEEN -180 AND 180),
  CONSTRAINT sites_coordinates_together CHECK ((latitude IS NULL) = (longitude IS NULL))
);

CREATE TRIGGER sites_set_updated_at BEFORE UPDATE ON sites
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON COLUMN sites.timezone IS 'IANA time zone name, e.g. Europe/Oslo.';

-- A member assigned to a site of the same tenant: both composite keys
-- include tenant_id.
CREATE TABLE user_site_assignments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  site_id uuid NOT NULL,
  tenant_id uuid NOT NULL,
  assigned_by uuid REFERENCES users (id) ON DELETE SET NULL,
  assigned_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT user_site_assignments_tenant_user_site_unique UNIQUE (tenant_id, user_id, site_id),
  CONSTRAINT user_site_assignments_member_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES user_tenant_associations (tenant_id, user_id) ON DELETE CASCADE,
  CONSTRAINT user_site_assignments_site_fkey FOREIGN KEY (tenant_id, site_id)
    REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX user_site_assignments_tenant_site_idx ON user_site_assignments (tenant_id, site_id);

-- IoT devices and equipment at a site. tenant_id is added (the seed has
-- only site_id) so the table can be isolated by itself.
CREATE TABLE devices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL,
  site_id uuid NOT NULL,
  name text NOT NULL,
  type device_type NOT NULL,
  serial_number text NOT NULL,
  manufacturer text,
  model text,
  firmware_version text,
  status device_status NOT NULL DEFAULT 'offline',
  ip_address inet,
  last_seen_at timestamptz,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT devices_tenant_id_id_unique UNIQUE (tenant_id, id),
  CONSTRAINT devices_tenant_id_serial_number_unique UNIQUE (tenant_id, serial_number),
  CONSTRAINT devices_site_fkey FOREIGN KEY (tenant_id, site_id)
    REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX devices_tenant_site_idx ON devices (tenant_id, site_id);
CREATE INDEX devices_tenant_status_idx ON devices (tenant_id, status);

CREATE TRIGGER devices_set_updated_at BEFORE UPDATE ON devices
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
