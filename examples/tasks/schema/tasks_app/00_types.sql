-- Enum types (type-safe status and role management).
CREATE TYPE user_type AS ENUM ('system_admin', 'tenant_admin', 'regular_user', 'service_account', 'guest_user');

CREATE TYPE tenant_type AS ENUM ('enterprise', 'standard', 'starter', 'trial');
CREATE TYPE tenant_status AS ENUM ('active', 'suspended', 'archived', 'pending');

CREATE TYPE tenant_role AS ENUM ('owner', 'admin', 'member', 'viewer');
CREATE TYPE association_status AS ENUM ('active', 'invited', 'suspended');

CREATE TYPE device_type AS ENUM (
  'sensor', 'controller', 'gateway', 'camera', 'actuator',
  'meter', 'beacon', 'router', 'server', 'workstation'
);
CREATE TYPE device_status AS ENUM ('online', 'offline', 'maintenance', 'error', 'decommissioned');

CREATE TYPE task_priority AS ENUM ('low', 'medium', 'high', 'urgent');

-- Shared trigger function: keep updated_at current on every UPDATE.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
