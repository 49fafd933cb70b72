-- Media kinds taxonomy. Parents first (the foreign key needs them).
INSERT INTO ws_media_kinds (code, label, parent_code, sort_order) VALUES
  ('video',    'Video',    NULL, 10),
  ('audio',    'Audio',    NULL, 20),
  ('image',    'Image',    NULL, 30),
  ('document', 'Document', NULL, 40),
  ('lesson',   'Lesson',   NULL, 50)
ON CONFLICT (code) DO UPDATE
  SET label = EXCLUDED.label, parent_code = EXCLUDED.parent_code, sort_order = EXCLUDED.sort_order;

INSERT INTO ws_media_kinds (code, label, parent_code, sort_order) VALUES
  ('film',      'Film',       'video', 11),
  ('episode',   'Episode',    'video', 12),
  ('trailer',   'Trailer',    'video', 13),
  ('clip',      'Clip',       'video', 14),
  ('podcast',   'Podcast',    'audio', 21),
  ('music',     'Music',      'audio', 22),
  ('audiobook', 'Audiobook',  'audio', 23),
  ('photo',     'Photo',      'image', 31),
  ('artwork',   'Artwork',    'image', 32),
  ('pdf',       'PDF',        'document', 41),
  ('video_lesson', 'Video lesson', 'lesson', 51),
  ('quiz',      'Quiz',       'lesson', 52)
ON CONFLICT (code) DO UPDATE
  SET label = EXCLUDED.label, parent_code = EXCLUDED.parent_code, sort_order = EXCLUDED.sort_order;
