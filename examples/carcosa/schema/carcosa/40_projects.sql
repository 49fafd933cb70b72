-- Projects (applications) of a team, with their API keys and the
-- project's own sub-clients ("Tenant" rows; these are Carcosa's tenants of
-- a project, not the isolation boundary, which is the organization).

CREATE TABLE "Project" (
  "id" TEXT NOT NULL,
  "organizationId" TEXT NOT NULL,
  "teamId" TEXT NOT NULL,
  "bucketId" TEXT,
  "name" TEXT NOT NULL,
  "slug" TEXT NOT NULL,
  "multiTenant" BOOLEAN NOT NULL DEFAULT false,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "Project_pkey" PRIMARY KEY ("id")
);

-- Also serves the seed's teamId index.
CREATE UNIQUE INDEX "Project_organizationId_teamId_slug_key" ON "Project"("organizationId", "teamId", "slug");
CREATE INDEX "Project_organizationId_bucketId_idx" ON "Project"("organizationId", "bucketId");
CREATE UNIQUE INDEX "Project_organizationId_id_key" ON "Project"("organizationId", "id");

ALTER TABLE "Project" ADD CONSTRAINT "Project_organizationId_teamId_fkey"
  FOREIGN KEY ("organizationId", "teamId") REFERENCES "Team"("organizationId", "id") ON DELETE CASCADE ON UPDATE CASCADE;
-- A bucket of the same organization (owned by the team or shared with it;
-- which of those is the application's rule).
ALTER TABLE "Project" ADD CONSTRAINT "Project_organizationId_bucketId_fkey"
  FOREIGN KEY ("organizationId", "bucketId") REFERENCES "Bucket"("organizationId", "id") ON DELETE SET NULL ("bucketId") ON UPDATE CASCADE;

CREATE TABLE "Tenant" (
  "id" TEXT NOT NULL,
  "organizationId" TEXT NOT NULL,
  "projectId" TEXT NOT NULL,
  "slug" TEXT NOT NULL,
  "name" TEXT,
  "metadata" JSONB,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "Tenant_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "Tenant_organizationId_projectId_slug_key" ON "Tenant"("organizationId", "projectId", "slug");
CREATE UNIQUE INDEX "Tenant_organizationId_id_key" ON "Tenant"("organizationId", "id");

ALTER TABLE "Tenant" ADD CONSTRAINT "Tenant_organizationId_projectId_fkey"
  FOREIGN KEY ("organizationId", "projectId") REFERENCES "Project"("organizationId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- API keys are the api_keys module (pgtenant.api_keys): see README.md.
