-- Demo data (the seed's `db:seed`): two organizations, so isolation has
-- something to isolate. Runs only with SEED_DEMO_OK=true. Ids are fixed and
-- readable in place of Prisma's cuid() so re-runs are no-ops.
-- Credentials are placeholders, not ciphertext: connect a real bucket
-- through the app (which encrypts with CREDENTIALS_ENCRYPTION_KEY).

INSERT INTO "User" ("id", "email", "name", "updatedAt") VALUES
  ('demo_user_alice', '${DEMO_USER_EMAIL:-alice@carcosa.test}', 'Alice Demo', CURRENT_TIMESTAMP),
  ('demo_user_bob', 'bob@carcosa.test', 'Bob Demo', CURRENT_TIMESTAMP),
  ('demo_user_gina', 'gina@globex.test', 'Gina Globex', CURRENT_TIMESTAMP)
ON CONFLICT ("id") DO NOTHING;

INSERT INTO "Organization" ("id", "name", "slug", "ownerId", "updatedAt") VALUES
  ('demo_org_acme', 'Acme Corp', 'acme', 'demo_user_alice', CURRENT_TIMESTAMP),
  ('demo_org_globex', 'Globex', 'globex', 'demo_user_gina', CURRENT_TIMESTAMP)
ON CONFLICT ("id") DO NOTHING;

INSERT INTO "OrganizationMember" ("id", "organizationId", "userId", "role") VALUES
  ('demo_om_alice', 'demo_org_acme', 'demo_user_alice', 'OWNER'),
  ('demo_om_bob', 'demo_org_acme', 'demo_user_bob', 'MEMBER'),
  ('demo_om_gina', 'demo_org_globex', 'demo_user_gina', 'OWNER')
ON CONFLICT ("id") DO NOTHING;

INSERT INTO "Team" ("id", "organizationId", "name", "slug", "updatedAt") VALUES
  ('demo_team_eng', 'demo_org_acme', 'Engineering', 'engineering', CURRENT_TIMESTAMP),
  ('demo_team_mkt', 'demo_org_acme', 'Marketing', 'marketing', CURRENT_TIMESTAMP),
  ('demo_team_globex', 'demo_org_globex', 'Platform', 'platform', CURRENT_TIMESTAMP)
ON CONFLICT ("id") DO NOTHING;

INSERT INTO "TeamMember" ("id", "organizationId", "teamId", "userId", "role") VALUES
  ('demo_tm_alice_eng', 'demo_org_acme', 'demo_team_eng', 'demo_user_alice', 'OWNER'),
  ('demo_tm_bob_mkt', 'demo_org_acme', 'demo_team_mkt', 'demo_user_bob', 'MEMBER'),
  ('demo_tm_gina', 'demo_org_globex', 'demo_team_globex', 'demo_user_gina', 'OWNER')
ON CONFLICT ("id") DO NOTHING;

INSERT INTO "Bucket" ("id", "organizationId", "ownerTeamId", "name", "bucketName", "provider", "region",
                      "encryptedAccessKey", "encryptedSecretKey", "updatedAt") VALUES
  ('demo_bucket_acme', 'demo_org_acme', 'demo_team_eng', 'Acme assets', 'acme-assets', 's3', 'eu-west-1',
   'demo:not-a-credential', 'demo:not-a-credential', CURRENT_TIMESTAMP),
  ('demo_bucket_globex', 'demo_org_globex', 'demo_team_globex', 'Globex media', 'globex-media', 'r2', 'auto',
   'demo:not-a-credential', 'demo:not-a-credential', CURRENT_TIMESTAMP)
ON CONFLICT ("id") DO NOTHING;

-- Engineering shares its bucket with Marketing, read-only.
INSERT INTO "BucketTeamAccess" ("id", "organizationId", "bucketId", "teamId", "permission", "grantedById", "updatedAt") VALUES
  ('demo_bta_mkt', 'demo_org_acme', 'demo_bucket_acme', 'demo_team_mkt', 'READ_ONLY', 'demo_user_alice', CURRENT_TIMESTAMP)
ON CONFLICT ("id") DO NOTHING;

INSERT INTO "Project" ("id", "organizationId", "teamId", "bucketId", "name", "slug", "multiTenant", "updatedAt") VALUES
  ('demo_proj_web', 'demo_org_acme', 'demo_team_eng', 'demo_bucket_acme', 'Acme Web', 'acme-web', true, CURRENT_TIMESTAMP),
  ('demo_proj_globex', 'demo_org_globex', 'demo_team_globex', 'demo_bucket_globex', 'Globex App', 'globex-app', false, CURRENT_TIMESTAMP)
ON CONFLICT ("id") DO NOTHING;

INSERT INTO "Tenant" ("id", "organizationId", "projectId", "slug", "name", "updatedAt") VALUES
  ('demo_tenant_blue', 'demo_org_acme', 'demo_proj_web', 'blue-shop', 'Blue Shop', CURRENT_TIMESTAMP)
ON CONFLICT ("id") DO NOTHING;

-- The members' roles in the rbac module, as "OrganizationMember"."role"
-- says. No demo API key: a key is minted and shown once by the app
-- (pgtenant::api_keys, or api_key_create with its lookup id and hash).
INSERT INTO pgtenant.role_grants ("organizationId", user_id, role_id)
SELECT m."organizationId", m."userId", r.role_id
  FROM "OrganizationMember" m
  JOIN pgtenant.roles r ON r."organizationId" IS NULL AND r.name = lower(m."role"::text)
 WHERE m."id" IN ('demo_om_alice', 'demo_om_bob', 'demo_om_gina')
ON CONFLICT DO NOTHING;

INSERT INTO "Upload" ("id", "organizationId", "projectId", "tenantId", "userId", "status", "fileName", "fileSize",
                      "mimeType", "path", "bytesUploaded", "completedAt", "updatedAt") VALUES
  ('demo_upload_logo', 'demo_org_acme', 'demo_proj_web', 'demo_tenant_blue', 'demo_user_alice', 'COMPLETED',
   'logo.png', 48213, 'image/png', 'blue-shop/logo.png', 48213, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)
ON CONFLICT ("id") DO NOTHING;

INSERT INTO "File" ("id", "organizationId", "projectId", "uploadId", "tenantId", "path", "filename", "mimeType", "size", "updatedAt") VALUES
  ('demo_file_logo', 'demo_org_acme', 'demo_proj_web', 'demo_upload_logo', 'demo_tenant_blue',
   'blue-shop/logo.png', 'logo.png', 'image/png', 48213, CURRENT_TIMESTAMP),
  ('demo_file_globex', 'demo_org_globex', 'demo_proj_globex', NULL, NULL,
   'readme.txt', 'readme.txt', 'text/plain', 512, CURRENT_TIMESTAMP)
ON CONFLICT ("id") DO NOTHING;

INSERT INTO "Transform" ("id", "organizationId", "projectId", "fileId", "operations", "outputPath", "status", "updatedAt") VALUES
  ('demo_tf_thumb', 'demo_org_acme', 'demo_proj_web', 'demo_file_logo',
   '{"resize": {"width": 128, "height": 128}, "format": "webp"}', 'blue-shop/logo_128.webp', 'completed', CURRENT_TIMESTAMP)
ON CONFLICT ("id") DO NOTHING;

INSERT INTO "Invitation" ("id", "organizationId", "teamId", "email", "role", "tokenHash", "invitedById", "expiresAt", "updatedAt") VALUES
  ('demo_inv_carol', 'demo_org_acme', 'demo_team_eng', 'carol@carcosa.test', 'MEMBER',
   encode(sha256('demo invitation with no secret'::bytea), 'hex'), 'demo_user_alice',
   CURRENT_TIMESTAMP + interval '7 days', CURRENT_TIMESTAMP)
ON CONFLICT ("id") DO NOTHING;

INSERT INTO "AuditLog" ("id", "organizationId", "userId", "teamId", "projectId", "action", "resource", "resourceId", "details") VALUES
  ('demo_audit_1', 'demo_org_acme', 'demo_user_alice', 'demo_team_eng', 'demo_proj_web',
   'project.created', 'project', 'demo_proj_web', '{"name": "Acme Web"}'),
  ('demo_audit_2', 'demo_org_acme', 'demo_user_alice', 'demo_team_eng', NULL,
   'bucket.shared', 'bucket', 'demo_bucket_acme', '{"teamId": "demo_team_mkt", "permission": "READ_ONLY"}')
ON CONFLICT ("id") DO NOTHING;
