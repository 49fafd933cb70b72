-- Enums, as Prisma creates them.
CREATE TYPE "OrganizationRole" AS ENUM ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER');

CREATE TYPE "TeamRole" AS ENUM ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER');

-- Bucket sharing between teams.
CREATE TYPE "BucketPermission" AS ENUM ('READ_ONLY', 'READ_WRITE', 'ADMIN');

CREATE TYPE "UploadStatus" AS ENUM ('PENDING', 'UPLOADING', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED');

CREATE TYPE "InvitationStatus" AS ENUM ('PENDING', 'ACCEPTED', 'DECLINED', 'EXPIRED', 'REVOKED');

-- The seed's 17 API key permission types ("ApiKeyPermission", migration
-- 20250819181400_add_api_key_permissions) are permissions of the rbac
-- module's catalog: rbac/permissions.txt.
