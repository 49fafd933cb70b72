-- People who can sign in. Global: a user may belong to many tenants.
CREATE TABLE users (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email      text NOT NULL UNIQUE CHECK (email = lower(email)),
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
