-- Hierarchical content tree (projects > groups > content) and its media.
-- Every foreign key between tenant tables includes tenant_id, so a row can
-- only ever point at a row of its own tenant.

CREATE TABLE ws_content (
  node_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
  parent_id uuid,
  node_type text NOT NULL,
  title text NOT NULL,
  synopsis text,
  slug text,
  media_kind_code text REFERENCES ws_media_kinds (code),
  position integer NOT NULL DEFAULT 0,
  created_at timestamp DEFAULT now(),
  updated_at timestamp DEFAULT now(),
  CONSTRAINT ws_content_tenant_id_node_id_key UNIQUE (tenant_id, node_id),
  CONSTRAINT ws_content_parent_fkey FOREIGN KEY (tenant_id, parent_id)
    REFERENCES ws_content (tenant_id, node_id) ON DELETE CASCADE,
  CONSTRAINT ws_content_node_type_check CHECK (node_type IN ('project', 'group', 'content')),
  CONSTRAINT ws_content_project_is_root CHECK (node_type <> 'project' OR parent_id IS NULL),
  CONSTRAINT ws_content_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$')
);

-- Children of a node, in display order.
CREATE INDEX ws_content_tenant_parent_position_idx ON ws_content (tenant_id, parent_id, position);
-- Slugs are unique among siblings (root nodes included: NULLS NOT DISTINCT).
CREATE UNIQUE INDEX ws_content_sibling_slug_key ON ws_content (tenant_id, parent_id, slug)
  NULLS NOT DISTINCT WHERE slug IS NOT NULL;

CREATE TRIGGER ws_content_set_updated_at
  BEFORE UPDATE ON ws_content
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON COLUMN ws_content.node_type IS 'project | group | content';
COMMENT ON COLUMN ws_content.position IS
  'Order among siblings (ascending); not unique: ties are the application''s to break (e.g. by title).';

-- The tree's shape, enforced here rather than in the API: a node's parent
-- is a project or a group of the same tenant (a content node is a leaf), and
-- no node moves under itself or one of its descendants.
--
-- Concurrency: two moves that are each fine alone can together make a cycle
-- (A under B in one transaction, B under A in another; neither sees the
-- other's uncommitted row). So every write that shapes the tree takes a
-- transaction-level advisory lock keyed by the tenant, and checks after it:
-- shaping writes of one tenant run one at a time, other tenants and every
-- other update (title, position, ...) are not held up, and the lock goes
-- with the transaction on every path. Row locks on the ancestors were the
-- other choice; they would miss the descendant side of a concurrent move.
-- The checks read the committed tree after the lock, so they need READ
-- COMMITTED (the default): under REPEATABLE READ a transaction's snapshot
-- predates the lock.
CREATE FUNCTION ws_content_check_tree() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  parent_type text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('ws_content tree ' || NEW.tenant_id::text, 0));

  IF NEW.parent_id IS NOT NULL THEN
    IF NEW.parent_id = NEW.node_id THEN
      RAISE EXCEPTION 'content node % cannot be its own parent', NEW.node_id
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT c.node_type INTO parent_type
      FROM ws_content c
     WHERE c.tenant_id = NEW.tenant_id AND c.node_id = NEW.parent_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'parent node % does not exist in this tenant', NEW.parent_id
        USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF parent_type NOT IN ('project', 'group') THEN
      RAISE EXCEPTION 'parent node % is a %: only a project or a group holds nodes',
          NEW.parent_id, parent_type
        USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.parent_id IS DISTINCT FROM OLD.parent_id THEN
      IF EXISTS (
        WITH RECURSIVE ancestors (node_id, parent_id) AS (
          SELECT c.node_id, c.parent_id
            FROM ws_content c
           WHERE c.tenant_id = NEW.tenant_id AND c.node_id = NEW.parent_id
          UNION
          SELECT c.node_id, c.parent_id
            FROM ws_content c
            JOIN ancestors a ON c.tenant_id = NEW.tenant_id AND c.node_id = a.parent_id
        )
        SELECT 1 FROM ancestors WHERE node_id = NEW.node_id
      ) THEN
        RAISE EXCEPTION 'cannot move content node % under %: it is one of its own descendants',
            NEW.node_id, NEW.parent_id
          USING ERRCODE = 'integrity_constraint_violation',
                HINT = 'Move it under a node outside its own subtree.';
      END IF;
    END IF;
  END IF;

  IF TG_OP = 'UPDATE' AND NEW.node_type = 'content' AND OLD.node_type <> 'content'
     AND EXISTS (SELECT 1 FROM ws_content c
                  WHERE c.tenant_id = NEW.tenant_id AND c.parent_id = NEW.node_id) THEN
    RAISE EXCEPTION 'content node % has children: only a project or a group holds nodes', NEW.node_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;

COMMENT ON FUNCTION ws_content_check_tree() IS
  'BEFORE INSERT/UPDATE trigger on ws_content: parent is a project or group of the tenant, no cycles; serialised per tenant.';

CREATE TRIGGER ws_content_check_tree
  BEFORE INSERT OR UPDATE OF parent_id, node_type, tenant_id ON ws_content
  FOR EACH ROW EXECUTE FUNCTION ws_content_check_tree();

-- Uploaded media files with the metadata ffprobe extracts.
CREATE TABLE ws_media_assets (
  media_asset_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  node_id uuid NOT NULL,
  tenant_id uuid NOT NULL,

  -- File info. bigint: the seed's integer size_bytes overflows at 2 GiB,
  -- an ordinary size for video.
  filename text NOT NULL,
  mime_type text NOT NULL,
  size_bytes bigint NOT NULL,

  -- Storage
  storage_provider text NOT NULL,
  storage_path text,
  status text NOT NULL,

  -- Metadata (extracted by ffprobe)
  duration_ms integer,
  width integer,
  height integer,
  frame_rate real,
  video_codec text,
  audio_codec text,
  audio_channels integer,
  audio_sample_rate integer,

  -- Image metadata (migration 0004_add_media_metadata_fields)
  image_format text,
  color_space text,
  dpi integer,
  exif jsonb,

  -- Flags
  has_video boolean,
  has_audio boolean,

  created_at timestamp DEFAULT now(),
  CONSTRAINT ws_media_assets_tenant_id_media_asset_id_key UNIQUE (tenant_id, media_asset_id),
  CONSTRAINT ws_media_assets_node_fkey FOREIGN KEY (tenant_id, node_id)
    REFERENCES ws_content (tenant_id, node_id) ON DELETE CASCADE,
  CONSTRAINT ws_media_assets_size_bytes_check CHECK (size_bytes >= 0),
  CONSTRAINT ws_media_assets_storage_provider_check CHECK (storage_provider IN ('local', 'azure')),
  CONSTRAINT ws_media_assets_status_check CHECK (status IN ('ready', 'processing', 'error'))
);

CREATE INDEX ws_media_assets_tenant_node_idx ON ws_media_assets (tenant_id, node_id);

-- Transcoded or otherwise processed versions of an asset.
CREATE TABLE ws_media_variants (
  media_variant_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  media_asset_id uuid NOT NULL,
  tenant_id uuid NOT NULL,
  variant_kind text NOT NULL,
  mime_type text NOT NULL,
  storage_path text,
  size_bytes bigint,
  width integer,
  height integer,
  bitrate_kbps integer,
  status text NOT NULL DEFAULT 'processing',
  created_at timestamp DEFAULT now(),
  CONSTRAINT ws_media_variants_asset_fkey FOREIGN KEY (tenant_id, media_asset_id)
    REFERENCES ws_media_assets (tenant_id, media_asset_id) ON DELETE CASCADE,
  CONSTRAINT ws_media_variants_asset_kind_key UNIQUE (tenant_id, media_asset_id, variant_kind),
  CONSTRAINT ws_media_variants_status_check CHECK (status IN ('ready', 'processing', 'error'))
);

COMMENT ON COLUMN ws_media_variants.variant_kind IS 'e.g. thumbnail, proxy_720p, hls, waveform';
