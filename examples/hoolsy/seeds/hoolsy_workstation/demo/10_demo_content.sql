-- A small content tree in the Demo Workspace: project > group > content,
-- with one media asset. Runs only with SEED_DEMO_OK=true.
INSERT INTO ws_content (node_id, tenant_id, parent_id, node_type, title, synopsis, slug, media_kind_code, position) VALUES
  ('00000000-0000-4000-8000-00000000c001', '00000000-0000-4000-8000-00000000d001', NULL,
   'project', 'Demo Series', 'A sample project to explore the workstation.', 'demo-series', NULL, 0),
  ('00000000-0000-4000-8000-00000000c002', '00000000-0000-4000-8000-00000000d001', '00000000-0000-4000-8000-00000000c001',
   'group', 'Season 1', NULL, 'season-1', NULL, 0),
  ('00000000-0000-4000-8000-00000000c003', '00000000-0000-4000-8000-00000000d001', '00000000-0000-4000-8000-00000000c002',
   'content', 'Pilot', 'The first episode.', 'pilot', 'episode', 0),
  ('00000000-0000-4000-8000-00000000c004', '00000000-0000-4000-8000-00000000d001', '00000000-0000-4000-8000-00000000c002',
   'content', 'Episode 2', NULL, 'episode-2', 'episode', 1)
ON CONFLICT (node_id) DO NOTHING;

INSERT INTO ws_media_assets (
  media_asset_id, node_id, tenant_id, filename, mime_type, size_bytes,
  storage_provider, storage_path, status,
  duration_ms, width, height, frame_rate, video_codec, audio_codec,
  audio_channels, audio_sample_rate, has_video, has_audio
) VALUES (
  '00000000-0000-4000-8000-00000000a001', '00000000-0000-4000-8000-00000000c003',
  '00000000-0000-4000-8000-00000000d001', 'pilot.mp4', 'video/mp4', 3221225472,
  'local', 'demo/pilot.mp4', 'ready',
  1520000, 1920, 1080, 25, 'h264', 'aac', 2, 48000, true, true
)
ON CONFLICT (media_asset_id) DO NOTHING;

INSERT INTO ws_media_variants (media_variant_id, media_asset_id, tenant_id, variant_kind, mime_type, storage_path, width, height, status) VALUES
  ('00000000-0000-4000-8000-00000000b001', '00000000-0000-4000-8000-00000000a001',
   '00000000-0000-4000-8000-00000000d001', 'thumbnail', 'image/jpeg', 'demo/pilot.jpg', 640, 360, 'ready')
ON CONFLICT (media_variant_id) DO NOTHING;

-- A tenant-owned custom role next to the global ones (the rbac module's
-- roles table; tenant_id set = this tenant's own role).
INSERT INTO pgtenant.roles (tenant_id, name, description, allow, deny) VALUES
  ('00000000-0000-4000-8000-00000000d001', 'editor', 'Edits content and media',
   '{content.*,media.*}', '{content.projects.delete}')
ON CONFLICT ON CONSTRAINT roles_tenant_name_key DO NOTHING;
