-- Uploads, files and image transforms of a project.

CREATE TABLE "Upload" (
  "id" TEXT NOT NULL,
  "organizationId" TEXT NOT NULL,
  "projectId" TEXT NOT NULL,
  "tenantId" TEXT,
  "userId" TEXT,
  "status" "UploadStatus" NOT NULL DEFAULT 'PENDING',
  "fileName" TEXT NOT NULL,
  "fileSize" BIGINT NOT NULL,
  "mimeType" TEXT NOT NULL,
  "path" TEXT,
  "bytesUploaded" BIGINT NOT NULL DEFAULT 0,
  "error" TEXT,
  "completedAt" TIMESTAMP(3),
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "Upload_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "Upload_bytes_check" CHECK ("bytesUploaded" >= 0 AND "bytesUploaded" <= "fileSize")
);

CREATE INDEX "Upload_organizationId_projectId_idx" ON "Upload"("organizationId", "projectId");
CREATE INDEX "Upload_organizationId_userId_idx" ON "Upload"("organizationId", "userId");
CREATE INDEX "Upload_organizationId_status_idx" ON "Upload"("organizationId", "status");
CREATE UNIQUE INDEX "Upload_organizationId_id_key" ON "Upload"("organizationId", "id");

ALTER TABLE "Upload" ADD CONSTRAINT "Upload_organizationId_projectId_fkey"
  FOREIGN KEY ("organizationId", "projectId") REFERENCES "Project"("organizationId", "id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Upload" ADD CONSTRAINT "Upload_organizationId_tenantId_fkey"
  FOREIGN KEY ("organizationId", "tenantId") REFERENCES "Tenant"("organizationId", "id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Upload" ADD CONSTRAINT "Upload_userId_fkey"
  FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "File" (
  "id" TEXT NOT NULL,
  "organizationId" TEXT NOT NULL,
  "projectId" TEXT NOT NULL,
  "uploadId" TEXT,
  "tenantId" TEXT,
  "path" TEXT NOT NULL,
  "filename" TEXT NOT NULL,
  "mimeType" TEXT NOT NULL,
  "size" BIGINT NOT NULL,
  "checksum" TEXT,
  "metadata" JSONB,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "File_pkey" PRIMARY KEY ("id")
);

-- Also serves the seed's projectId index.
CREATE UNIQUE INDEX "File_organizationId_projectId_path_key" ON "File"("organizationId", "projectId", "path");
CREATE INDEX "File_organizationId_uploadId_idx" ON "File"("organizationId", "uploadId");
CREATE INDEX "File_organizationId_tenantId_idx" ON "File"("organizationId", "tenantId");
CREATE UNIQUE INDEX "File_organizationId_id_key" ON "File"("organizationId", "id");

ALTER TABLE "File" ADD CONSTRAINT "File_organizationId_projectId_fkey"
  FOREIGN KEY ("organizationId", "projectId") REFERENCES "Project"("organizationId", "id") ON DELETE CASCADE ON UPDATE CASCADE;
-- Deleting an upload session keeps its file: only "uploadId" is cleared
-- ("organizationId" is part of the key and stays).
ALTER TABLE "File" ADD CONSTRAINT "File_organizationId_uploadId_fkey"
  FOREIGN KEY ("organizationId", "uploadId") REFERENCES "Upload"("organizationId", "id") ON DELETE SET NULL ("uploadId") ON UPDATE CASCADE;
ALTER TABLE "File" ADD CONSTRAINT "File_organizationId_tenantId_fkey"
  FOREIGN KEY ("organizationId", "tenantId") REFERENCES "Tenant"("organizationId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "Transform" (
  "id" TEXT NOT NULL,
  "organizationId" TEXT NOT NULL,
  "projectId" TEXT NOT NULL,
  "fileId" TEXT NOT NULL,
  "operations" JSONB NOT NULL,
  "outputPath" TEXT,
  "status" TEXT NOT NULL DEFAULT 'pending',
  "cacheHits" INTEGER NOT NULL DEFAULT 0,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "Transform_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "Transform_organizationId_projectId_idx" ON "Transform"("organizationId", "projectId");
CREATE INDEX "Transform_organizationId_fileId_idx" ON "Transform"("organizationId", "fileId");

ALTER TABLE "Transform" ADD CONSTRAINT "Transform_organizationId_projectId_fkey"
  FOREIGN KEY ("organizationId", "projectId") REFERENCES "Project"("organizationId", "id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Transform" ADD CONSTRAINT "Transform_organizationId_fileId_fkey"
  FOREIGN KEY ("organizationId", "fileId") REFERENCES "File"("organizationId", "id") ON DELETE CASCADE ON UPDATE CASCADE;
