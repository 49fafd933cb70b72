-- Storage buckets, owned by a team and shareable with other teams of the
-- same organization.

CREATE TABLE "Bucket" (
  "id" TEXT NOT NULL,
  "organizationId" TEXT NOT NULL,
  "ownerTeamId" TEXT NOT NULL,
  "name" TEXT NOT NULL,
  "bucketName" TEXT NOT NULL,
  "provider" TEXT NOT NULL,
  "region" TEXT,
  "endpoint" TEXT,
  "encryptedAccessKey" TEXT NOT NULL,
  "encryptedSecretKey" TEXT NOT NULL,
  "status" TEXT NOT NULL DEFAULT 'connected',
  "lastCheckedAt" TIMESTAMP(3),
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "Bucket_pkey" PRIMARY KEY ("id")
);

-- The seed's (ownerTeamId, bucketName, provider) unique, led by
-- organizationId; it also serves the ownerTeamId index.
CREATE UNIQUE INDEX "Bucket_organizationId_ownerTeamId_bucketName_provider_key" ON "Bucket"("organizationId", "ownerTeamId", "bucketName", "provider");
CREATE INDEX "Bucket_organizationId_provider_idx" ON "Bucket"("organizationId", "provider");
CREATE UNIQUE INDEX "Bucket_organizationId_id_key" ON "Bucket"("organizationId", "id");

ALTER TABLE "Bucket" ADD CONSTRAINT "Bucket_organizationId_fkey"
  FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Bucket" ADD CONSTRAINT "Bucket_organizationId_ownerTeamId_fkey"
  FOREIGN KEY ("organizationId", "ownerTeamId") REFERENCES "Team"("organizationId", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

COMMENT ON COLUMN "Bucket"."encryptedAccessKey" IS 'XSalsa20-Poly1305 ciphertext under CREDENTIALS_ENCRYPTION_KEY; never plaintext.';
COMMENT ON COLUMN "Bucket"."encryptedSecretKey" IS 'XSalsa20-Poly1305 ciphertext under CREDENTIALS_ENCRYPTION_KEY; never plaintext.';

-- A bucket shared with another team of the same organization.
CREATE TABLE "BucketTeamAccess" (
  "id" TEXT NOT NULL,
  "organizationId" TEXT NOT NULL,
  "bucketId" TEXT NOT NULL,
  "teamId" TEXT NOT NULL,
  "permission" "BucketPermission" NOT NULL DEFAULT 'READ_ONLY',
  "grantedById" TEXT,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "BucketTeamAccess_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "BucketTeamAccess_organizationId_bucketId_teamId_key" ON "BucketTeamAccess"("organizationId", "bucketId", "teamId");
CREATE INDEX "BucketTeamAccess_organizationId_teamId_idx" ON "BucketTeamAccess"("organizationId", "teamId");

ALTER TABLE "BucketTeamAccess" ADD CONSTRAINT "BucketTeamAccess_organizationId_bucketId_fkey"
  FOREIGN KEY ("organizationId", "bucketId") REFERENCES "Bucket"("organizationId", "id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "BucketTeamAccess" ADD CONSTRAINT "BucketTeamAccess_organizationId_teamId_fkey"
  FOREIGN KEY ("organizationId", "teamId") REFERENCES "Team"("organizationId", "id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "BucketTeamAccess" ADD CONSTRAINT "BucketTeamAccess_grantedById_fkey"
  FOREIGN KEY ("grantedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
