-- Workspace ids: pgtenant::ids's database side (the SQL of
-- `pgtenant::ids::sql("public")`), a domain with the 10-20 alphanumeric
-- CHECK and a generator for column defaults. The generator draws from
-- gen_random_uuid() and keeps a byte only below 248 = 4 * 62, so each
-- character is uniform over the 62; Rust's pgtenant::ids::generate and
-- pgtenant::ids::validate are the same rule on the application side.
CREATE DOMAIN short_id AS text CHECK (VALUE ~ '^[A-Za-z0-9]{10,20}$');

CREATE FUNCTION short_id(len integer) RETURNS short_id
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
DECLARE
  alphabet constant text := 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  out text := '';
  bytes bytea;
  b integer;
  i integer;
BEGIN
  IF len IS NULL OR len < 10 OR len > 20 THEN
    RAISE EXCEPTION 'an id length must be between 10 and 20, not %', len
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  WHILE length(out) < len LOOP
    bytes := uuid_send(gen_random_uuid());
    FOREACH i IN ARRAY ARRAY[0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 13, 14, 15] LOOP
      b := get_byte(bytes, i);
      IF b < 248 AND length(out) < len THEN
        out := out || substr(alphabet, b % 62 + 1, 1);
      END IF;
    END LOOP;
  END LOOP;
  RETURN out;
END
$$;
