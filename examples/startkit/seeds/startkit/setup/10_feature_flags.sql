-- Feature flag definitions (foundational, global). Idempotent: re-running
-- refreshes names, descriptions and defaults.
INSERT INTO feature_flag_definitions (key, name, description, default_enabled, minimum_plan) VALUES
  ('ai_assistant',      'AI assistant',        'In-app AI assistant.',                       false, 'pro'),
  ('advanced_analytics','Advanced analytics',  'Cohorts, funnels and exports.',              false, 'pro'),
  ('audit_log_export',  'Audit log export',    'Download the audit log as CSV.',             false, 'enterprise'),
  ('sso',               'Single sign-on',      'SAML/OIDC sign-in for the organization.',    false, 'enterprise'),
  ('api_access',        'API access',          'Personal and organization API keys.',        true,  'starter'),
  ('custom_branding',   'Custom branding',     'Logo and colours on shared pages.',          false, 'starter'),
  ('beta_features',     'Beta features',       'Early access to features in development.',   false, 'free')
ON CONFLICT (key) DO UPDATE
  SET name = EXCLUDED.name,
      description = EXCLUDED.description,
      default_enabled = EXCLUDED.default_enabled,
      minimum_plan = EXCLUDED.minimum_plan;
