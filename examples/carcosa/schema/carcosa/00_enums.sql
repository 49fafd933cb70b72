-- Enums, as Prisma creates them.
CREATE TYPE "OrganizationRole" AS ENUM ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER');

CREATE TYPE "TeamRole" AS ENUM ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER');

-- Bucket sharing between teams.
CREATE TYPE "BucketPermission" AS ENUM ('READ_ONLY', 'READ_WRITE', 'ADMIN');

CREATE TYPE "UploadStatus" AS ENUM ('PENDING', 'UPLOADING', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED');

CREATE TYPE "InvitationStatus" AS ENUM ('PENDING', 'ACCEPTED', 'DECLINED', 'EXPIRED', 'REVOKED');

-- The 17 API key permission types (migration 20250819181400_add_api_key_permissions).
CREATE TYPE "ApiKeyPermission" AS ENUM (
  'READ',
  'WRITE',
  'DELETE',
  'ADMIN',
  'FILES_READ',
  'FILES_WRITE',
  'FILES_DELETE',
  'UPLOADS_CREATE',
  'UPLOADS_READ',
  'UPLOADS_MANAGE',
  'TRANSFORMS_READ',
  'TRANSFORMS_CREATE',
  'TRANSFORMS_MANAGE',
  'TENANTS_READ',
  'TENANTS_WRITE',
  'TENANTS_DELETE',
  'AUDIT_READ'
);
