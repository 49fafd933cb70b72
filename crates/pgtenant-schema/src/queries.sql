-- Catalog queries used by introspection (src/introspect.rs).
--
-- One query per object kind for the whole database, each introduced by a
-- `-- name: <kind>` header. Every query is plain SQL that runs as is in psql.
-- Introspection wraps each one as `SELECT json_agg(q) FROM (<query>) q` and
-- sends them all in one round trip inside a REPEATABLE READ, READ ONLY
-- transaction with `search_path = ''` (so renderers qualify user objects).
--
-- User objects are those outside pg_catalog, information_schema, pg_toast*
-- and pg_temp*, not owned by an extension (pg_depend deptype 'e'), and not
-- pgtenant's journal: the tables `pgtenant.migrations` and `pgtenant.seeds`
-- (with their columns, constraints, indexes, triggers, policies and owned
-- sequences) and the schema `pgtenant` itself, which migrate creates. Other
-- objects in `pgtenant` (the tables and functions of modules) are user
-- objects. Each query repeats that filter so it can be read on its own.
--
-- Grants: aclexplode over the effective ACL, without the owner's own
-- privileges; grantee 0 is PUBLIC. An ACL that was never set means the
-- default (acldefault): owner only for schemas, tables, views and sequences
-- (so no grants: NULL), EXECUTE for PUBLIC on functions.

-- name: schemas
SELECT n.nspname AS name,
       pg_get_userbyid(n.nspowner) AS owner,
       d.description AS comment,
       CASE WHEN n.nspacl IS NOT NULL THEN
       (SELECT coalesce(json_agg(json_build_object(
                   'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                   'privilege', a.privilege_type,
                   'with_grant_option', a.is_grantable)), '[]')
          FROM aclexplode(n.nspacl) a
         WHERE a.grantee <> n.nspowner) END AS grants
  FROM pg_namespace n
  LEFT JOIN pg_description d
         ON d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgtenant')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_namespace'::regclass AND e.objid = n.oid
                      AND e.deptype = 'e')

-- name: extensions
SELECT x.extname AS name,
       n.nspname AS schema,
       x.extversion AS version
  FROM pg_extension x
  JOIN pg_namespace n ON n.oid = x.extnamespace
 WHERE x.extname <> 'plpgsql'

-- name: enums
SELECT n.nspname AS schema,
       t.typname AS name,
       (SELECT coalesce(json_agg(e.enumlabel ORDER BY e.enumsortorder), '[]')
          FROM pg_enum e WHERE e.enumtypid = t.oid) AS values,
       d.description AS comment
  FROM pg_type t
  JOIN pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_description d
         ON d.objoid = t.oid AND d.classoid = 'pg_type'::regclass AND d.objsubid = 0
 WHERE t.typtype = 'e'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid
                      AND e.deptype = 'e')

-- name: domains
SELECT n.nspname AS schema,
       t.typname AS name,
       format_type(t.typbasetype, t.typtypmod) AS base_type,
       CASE WHEN t.typcollation <> 0 AND t.typcollation <> b.typcollation
            THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END AS collation,
       pg_get_expr(t.typdefaultbin, 0) AS "default",
       t.typnotnull AS not_null,
       (SELECT coalesce(json_agg(json_build_array(c.conname, pg_get_constraintdef(c.oid, true))
                                 ORDER BY c.conname), '[]')
          FROM pg_constraint c
         WHERE c.contypid = t.oid AND c.contype = 'c') AS checks,
       d.description AS comment
  FROM pg_type t
  JOIN pg_namespace n ON n.oid = t.typnamespace
  JOIN pg_type b ON b.oid = t.typbasetype
  LEFT JOIN pg_collation co ON co.oid = t.typcollation
  LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
  LEFT JOIN pg_description d
         ON d.objoid = t.oid AND d.classoid = 'pg_type'::regclass AND d.objsubid = 0
 WHERE t.typtype = 'd'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid
                      AND e.deptype = 'e')

-- name: composite_types
SELECT n.nspname AS schema,
       t.typname AS name,
       (SELECT coalesce(json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod))
                                 ORDER BY a.attnum), '[]')
          FROM pg_attribute a
         WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) AS attributes,
       d.description AS comment
  FROM pg_type t
  JOIN pg_namespace n ON n.oid = t.typnamespace
  JOIN pg_class r ON r.oid = t.typrelid
  LEFT JOIN pg_description d
         ON d.objoid = t.oid AND d.classoid = 'pg_type'::regclass AND d.objsubid = 0
 WHERE t.typtype = 'c' AND r.relkind = 'c'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid
                      AND e.deptype = 'e')

-- name: sequences
-- Identity sequences (pg_depend deptype 'i') belong to their column.
SELECT n.nspname AS schema,
       c.relname AS name,
       pg_get_userbyid(c.relowner) AS owner,
       format_type(s.seqtypid, NULL) AS data_type,
       s.seqstart AS start,
       s.seqincrement AS increment,
       s.seqmin AS min_value,
       s.seqmax AS max_value,
       s.seqcache AS cache,
       s.seqcycle AS cycle,
       own.schema AS owned_by_schema,
       own.table AS owned_by_table,
       own.column AS owned_by_column,
       d.description AS comment,
       CASE WHEN c.relacl IS NOT NULL THEN
       (SELECT coalesce(json_agg(json_build_object(
                   'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                   'privilege', a.privilege_type,
                   'with_grant_option', a.is_grantable)), '[]')
          FROM aclexplode(c.relacl) a
         WHERE a.grantee <> c.relowner) END AS grants
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_sequence s ON s.seqrelid = c.oid
  LEFT JOIN LATERAL (
        SELECT tn.nspname AS schema, t.relname AS table, ta.attname AS column
          FROM pg_depend dep
          JOIN pg_class t ON t.oid = dep.refobjid
          JOIN pg_namespace tn ON tn.oid = t.relnamespace
          JOIN pg_attribute ta ON ta.attrelid = t.oid AND ta.attnum = dep.refobjsubid
         WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid
           AND dep.refclassid = 'pg_class'::regclass AND dep.deptype = 'a'
         LIMIT 1) own ON true
  LEFT JOIN pg_description d
         ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
 WHERE c.relkind = 'S'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND NOT (n.nspname = 'pgtenant' AND coalesce(own.table IN ('migrations', 'seeds', 'migrate_lock'), false))
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid
                      AND e.deptype IN ('e', 'i'))

-- name: tables
SELECT n.nspname AS schema,
       c.relname AS name,
       pg_get_userbyid(c.relowner) AS owner,
       c.relkind = 'p' AS partitioned,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       pn.nspname AS parent_schema,
       p.relname AS parent_name,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
       c.relpersistence = 'u' AS unlogged,
       c.relrowsecurity AS rls_enabled,
       c.relforcerowsecurity AS rls_forced,
       coalesce(to_json(c.reloptions), '[]') AS options,
       d.description AS comment,
       CASE WHEN c.relacl IS NOT NULL THEN
       (SELECT coalesce(json_agg(json_build_object(
                   'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                   'privilege', a.privilege_type,
                   'with_grant_option', a.is_grantable)), '[]')
          FROM aclexplode(c.relacl) a
         WHERE a.grantee <> c.relowner) END AS grants
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
  LEFT JOIN pg_class p ON p.oid = i.inhparent
  LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
  LEFT JOIN pg_description d
         ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
 WHERE c.relkind IN ('r', 'p')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND NOT (n.nspname = 'pgtenant' AND c.relname IN ('migrations', 'seeds', 'migrate_lock'))
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid
                      AND e.deptype = 'e')

-- name: columns
-- Columns of tables, views and materialized views, in attribute order.
SELECT n.nspname AS schema,
       c.relname AS table,
       a.attnum AS position,
       a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS data_type,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
            THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END AS collation,
       a.attnotnull AS not_null,
       -- A default cannot refer to columns: rendering it without the
       -- relation (0) spares opening every table, the main cost here.
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, 0) END AS "default",
       CASE WHEN a.attgenerated = 's' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS generated,
       CASE WHEN a.attidentity <> '' THEN json_build_object(
                   'kind', a.attidentity,
                   'start', ids.seqstart,
                   'increment', ids.seqincrement,
                   'min_value', ids.seqmin,
                   'max_value', ids.seqmax,
                   'cache', ids.seqcache,
                   'cycle', ids.seqcycle) END AS identity,
       d.description AS comment,
       CASE WHEN a.attacl IS NOT NULL THEN
       (SELECT coalesce(json_agg(json_build_object(
                   'grantee', CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee) END,
                   'privilege', g.privilege_type,
                   'with_grant_option', g.is_grantable)), '[]')
          FROM aclexplode(a.attacl) g
         WHERE g.grantee <> c.relowner) END AS grants
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
  LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  LEFT JOIN LATERAL (
        SELECT s.*
          FROM pg_depend dep
          JOIN pg_sequence s ON s.seqrelid = dep.objid
         WHERE a.attidentity <> ''
           AND dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass
           AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum AND dep.deptype = 'i'
         LIMIT 1) ids ON true
  LEFT JOIN pg_description d
         ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
 WHERE c.relkind IN ('r', 'p', 'v', 'm')
   AND a.attnum > 0 AND NOT a.attisdropped
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND NOT (n.nspname = 'pgtenant' AND c.relname IN ('migrations', 'seeds', 'migrate_lock'))
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid
                      AND e.deptype = 'e')

-- name: constraints
-- Table constraints except NOT NULL and constraint triggers. A constraint
-- cloned onto a partition from its parent is `inherited`. The clones that
-- PostgreSQL adds on the referencing table for each partition of a
-- referenced partitioned table are implementation details and left out.
SELECT n.nspname AS schema,
       c.relname AS table,
       k.conname AS name,
       k.contype AS kind,
       pg_get_constraintdef(k.oid, true) AS definition,
       -- Attribute numbers, named from the columns query (cheaper than a
       -- lookup per constraint).
       coalesce(to_json(k.conkey), '[]') AS columns,
       fn.nspname AS ref_schema,
       f.relname AS ref_table,
       to_json(k.confkey) AS ref_columns,
       k.condeferrable AS deferrable,
       k.condeferred AS initially_deferred,
       k.convalidated AS validated,
       (k.conparentid <> 0 OR k.coninhcount > 0) AS inherited,
       d.description AS comment
  FROM pg_constraint k
  JOIN pg_class c ON c.oid = k.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_class f ON f.oid = k.confrelid
  LEFT JOIN pg_namespace fn ON fn.oid = f.relnamespace
  LEFT JOIN pg_description d
         ON d.objoid = k.oid AND d.classoid = 'pg_constraint'::regclass AND d.objsubid = 0
 WHERE k.contype IN ('p', 'u', 'c', 'x', 'f')
   AND c.relkind IN ('r', 'p')
   AND NOT EXISTS (SELECT 1 FROM pg_constraint pk
                    WHERE pk.oid = k.conparentid AND pk.conrelid = k.conrelid)
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND NOT (n.nspname = 'pgtenant' AND c.relname IN ('migrations', 'seeds', 'migrate_lock'))
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid
                      AND e.deptype = 'e')

-- name: indexes
-- Indexes of tables and materialized views that do not back a primary key,
-- unique or exclusion constraint.
SELECT n.nspname AS schema,
       c.relname AS table,
       ic.relname AS name,
       pg_get_indexdef(i.indexrelid) AS definition,
       i.indisunique AS unique,
       -- Key columns (not INCLUDE ones) as attribute numbers (0 for an
       -- expression), named from the columns query.
       to_json((i.indkey::int2[])[0:i.indnkeyatts - 1]) AS columns,
       am.amname AS method,
       pg_get_expr(i.indpred, i.indrelid) AS predicate,
       EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid) AS inherited,
       d.description AS comment
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_am am ON am.oid = ic.relam
  JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_description d
         ON d.objoid = ic.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
 WHERE c.relkind IN ('r', 'p', 'm')
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                    WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                      AND k.contype IN ('p', 'u', 'x'))
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND NOT (n.nspname = 'pgtenant' AND c.relname IN ('migrations', 'seeds', 'migrate_lock'))
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid
                      AND e.deptype = 'e')

-- name: views
SELECT n.nspname AS schema,
       c.relname AS name,
       pg_get_userbyid(c.relowner) AS owner,
       c.relkind = 'm' AS materialized,
       pg_get_viewdef(c.oid, true) AS definition,
       coalesce(to_json(c.reloptions), '[]') AS options,
       (SELECT coalesce(json_agg(DISTINCT jsonb_build_array(rn.nspname, r.relname)), '[]')
          FROM pg_rewrite rw
          JOIN pg_depend dep ON dep.classid = 'pg_rewrite'::regclass AND dep.objid = rw.oid
                            AND dep.refclassid = 'pg_class'::regclass AND dep.deptype = 'n'
          JOIN pg_class r ON r.oid = dep.refobjid
          JOIN pg_namespace rn ON rn.oid = r.relnamespace
         WHERE rw.ev_class = c.oid AND r.oid <> c.oid
           AND r.relkind IN ('r', 'p', 'v', 'm', 'f')
           AND rn.nspname NOT IN ('pg_catalog', 'information_schema')) AS depends_on,
       d.description AS comment,
       CASE WHEN c.relacl IS NOT NULL THEN
       (SELECT coalesce(json_agg(json_build_object(
                   'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                   'privilege', a.privilege_type,
                   'with_grant_option', a.is_grantable)), '[]')
          FROM aclexplode(c.relacl) a
         WHERE a.grantee <> c.relowner) END AS grants
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_description d
         ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
 WHERE c.relkind IN ('v', 'm')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND NOT (n.nspname = 'pgtenant' AND c.relname IN ('migrations', 'seeds', 'migrate_lock'))
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid
                      AND e.deptype = 'e')

-- name: functions
-- Functions, procedures, aggregates and window functions. Dependencies are
-- objects of kind t (table), v (view), s (sequence), c (column), y (type),
-- f (function) or x (extension, for anything an extension owns).
SELECT n.nspname AS schema,
       p.proname AS name,
       pg_get_function_identity_arguments(p.oid) AS args,
       pg_get_userbyid(p.proowner) AS owner,
       p.prokind AS kind,
       CASE WHEN p.prokind = 'a' THEN
            'CREATE AGGREGATE ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname)
            || '(' || pg_get_function_identity_arguments(p.oid) || ') ('
            || 'SFUNC = ' || ag.aggtransfn::regproc::text
            || ', STYPE = ' || format_type(ag.aggtranstype, NULL)
            || CASE WHEN ag.aggfinalfn <> 0 THEN ', FINALFUNC = ' || ag.aggfinalfn::regproc::text ELSE '' END
            || CASE WHEN ag.aggcombinefn <> 0 THEN ', COMBINEFUNC = ' || ag.aggcombinefn::regproc::text ELSE '' END
            || CASE WHEN ag.agginitval IS NOT NULL THEN ', INITCOND = ' || quote_literal(ag.agginitval) ELSE '' END
            || ')'
            ELSE pg_get_functiondef(p.oid) END AS definition,
       coalesce(pg_get_function_result(p.oid), '') AS returns,
       l.lanname AS language,
       p.prosecdef AS security_definer,
       coalesce(to_json(p.proconfig), '[]') AS config,
       (SELECT coalesce(json_agg(DISTINCT jsonb_build_object(
                   'k', x.k, 's', x.s, 'n', x.n, 'c', x.c, 'a', x.a)), '[]')
          FROM pg_depend dep
          CROSS JOIN LATERAL (
                -- The referenced object, with types resolved to what the
                -- user wrote: an array to its element, a row type to its
                -- relation.
                SELECT CASE WHEN dep.refclassid = 'pg_type'::regclass THEN
                            (SELECT CASE WHEN t.typelem <> 0 AND t.typsubscript = 'array_subscript_handler'::regproc
                                         THEN t.typelem ELSE t.oid END
                               FROM pg_type t WHERE t.oid = dep.refobjid)
                       END AS type_oid) rt
          LEFT JOIN pg_type ty ON ty.oid = rt.type_oid
          CROSS JOIN LATERAL (
                SELECT CASE WHEN dep.refclassid = 'pg_class'::regclass THEN dep.refobjid
                            WHEN ty.typrelid <> 0 THEN ty.typrelid END AS rel_oid) rr
          LEFT JOIN pg_class r ON r.oid = rr.rel_oid
          LEFT JOIN pg_proc rp ON dep.refclassid = 'pg_proc'::regclass AND rp.oid = dep.refobjid
          LEFT JOIN pg_namespace on_ ON on_.oid = coalesce(r.relnamespace, rp.pronamespace, ty.typnamespace)
          LEFT JOIN LATERAL (
                SELECT xe.extname
                  FROM pg_depend ed JOIN pg_extension xe ON xe.oid = ed.refobjid
                 WHERE ed.deptype = 'e' AND ed.refclassid = 'pg_extension'::regclass
                   AND ((r.oid IS NOT NULL AND ed.classid = 'pg_class'::regclass AND ed.objid = r.oid)
                     OR (r.oid IS NULL AND rp.oid IS NOT NULL AND ed.classid = 'pg_proc'::regclass AND ed.objid = rp.oid)
                     OR (r.oid IS NULL AND rp.oid IS NULL AND ty.oid IS NOT NULL AND ed.classid = 'pg_type'::regclass AND ed.objid = ty.oid))
                 LIMIT 1) ext ON true
          CROSS JOIN LATERAL (
                SELECT CASE
                         WHEN ext.extname IS NOT NULL THEN 'x'
                         WHEN r.oid IS NOT NULL AND dep.refclassid = 'pg_class'::regclass AND dep.refobjsubid > 0 THEN 'c'
                         WHEN r.relkind IN ('r', 'p', 'f') THEN 't'
                         WHEN r.relkind IN ('v', 'm') THEN 'v'
                         WHEN r.relkind = 'S' THEN 's'
                         WHEN r.relkind = 'c' THEN 'y'
                         WHEN rp.oid IS NOT NULL THEN 'f'
                         WHEN ty.oid IS NOT NULL AND r.oid IS NULL THEN 'y'
                       END AS k,
                       CASE WHEN ext.extname IS NOT NULL THEN NULL
                            WHEN r.relkind = 'c' THEN on_.nspname
                            ELSE on_.nspname END AS s,
                       CASE WHEN ext.extname IS NOT NULL THEN ext.extname
                            WHEN r.oid IS NOT NULL THEN r.relname
                            WHEN rp.oid IS NOT NULL THEN rp.proname
                            ELSE ty.typname END AS n,
                       CASE WHEN ext.extname IS NULL AND r.oid IS NOT NULL AND dep.refclassid = 'pg_class'::regclass
                                 AND dep.refobjsubid > 0
                            THEN (SELECT ra.attname FROM pg_attribute ra
                                   WHERE ra.attrelid = r.oid AND ra.attnum = dep.refobjsubid) END AS c,
                       CASE WHEN ext.extname IS NULL AND rp.oid IS NOT NULL
                            THEN pg_get_function_identity_arguments(rp.oid) END AS a) x
         WHERE dep.classid = 'pg_proc'::regclass AND dep.objid = p.oid AND dep.deptype = 'n'
           AND dep.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass)
           AND NOT (dep.refclassid = 'pg_proc'::regclass AND dep.refobjid = p.oid)
           AND on_.nspname NOT IN ('pg_catalog', 'information_schema')
           AND x.k IS NOT NULL) AS depends_on,
       d.description AS comment,
       (SELECT coalesce(json_agg(json_build_object(
                   'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                   'privilege', a.privilege_type,
                   'with_grant_option', a.is_grantable)), '[]')
          FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
         WHERE a.grantee <> p.proowner) AS grants
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
  LEFT JOIN pg_aggregate ag ON ag.aggfnoid = p.oid
  LEFT JOIN pg_description d
         ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid
                      AND e.deptype = 'e')

-- name: triggers
-- User triggers on tables and views (internal ones, e.g. for foreign keys,
-- excluded). A trigger cloned onto a partition is `inherited`.
SELECT n.nspname AS schema,
       c.relname AS table,
       c.relkind IN ('v', 'm') AS on_view,
       tg.tgname AS name,
       pg_get_triggerdef(tg.oid, true) AS definition,
       fn.nspname AS function_schema,
       f.proname AS function_name,
       pg_get_function_identity_arguments(f.oid) AS function_args,
       tg.tgenabled AS enabled,
       tg.tgparentid <> 0 AS inherited,
       d.description AS comment
  FROM pg_trigger tg
  JOIN pg_class c ON c.oid = tg.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_proc f ON f.oid = tg.tgfoid
  JOIN pg_namespace fn ON fn.oid = f.pronamespace
  LEFT JOIN pg_description d
         ON d.objoid = tg.oid AND d.classoid = 'pg_trigger'::regclass AND d.objsubid = 0
 WHERE NOT tg.tgisinternal
   AND c.relkind IN ('r', 'p', 'v', 'm')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND NOT (n.nspname = 'pgtenant' AND c.relname IN ('migrations', 'seeds', 'migrate_lock'))
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid
                      AND e.deptype = 'e')

-- name: policies
SELECT n.nspname AS schema,
       c.relname AS table,
       pol.polname AS name,
       pol.polcmd AS command,
       pol.polpermissive AS permissive,
       (SELECT coalesce(json_agg(CASE WHEN r.oid = 0 THEN 'public' ELSE pg_get_userbyid(r.oid) END), '[]')
          FROM unnest(pol.polroles) r(oid)) AS roles,
       pg_get_expr(pol.polqual, pol.polrelid) AS using,
       pg_get_expr(pol.polwithcheck, pol.polrelid) AS with_check,
       d.description AS comment
  FROM pg_policy pol
  JOIN pg_class c ON c.oid = pol.polrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_description d
         ON d.objoid = pol.oid AND d.classoid = 'pg_policy'::regclass AND d.objsubid = 0
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND NOT (n.nspname = 'pgtenant' AND c.relname IN ('migrations', 'seeds', 'migrate_lock'))
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid
                      AND e.deptype = 'e')

-- name: rules
-- Rewrite rules of tables and views, except a view's own `_RETURN` rule.
-- Dependencies are the objects the rule's condition and actions use
-- (pg_depend deptype 'n', its own table's columns included), with the kinds
-- of the functions query: t, v, c, y, f.
SELECT n.nspname AS schema,
       c.relname AS table,
       c.relkind IN ('v', 'm') AS on_view,
       rw.rulename AS name,
       pg_get_ruledef(rw.oid, true) AS definition,
       rw.ev_enabled AS enabled,
       (SELECT coalesce(json_agg(DISTINCT jsonb_build_object(
                   'k', x.k, 's', x.s, 'n', x.n, 'c', x.c, 'a', x.a)), '[]')
          FROM pg_depend dep
          LEFT JOIN pg_class r ON dep.refclassid = 'pg_class'::regclass AND r.oid = dep.refobjid
          LEFT JOIN pg_proc rp ON dep.refclassid = 'pg_proc'::regclass AND rp.oid = dep.refobjid
          LEFT JOIN pg_type ty ON dep.refclassid = 'pg_type'::regclass AND ty.oid = dep.refobjid
          LEFT JOIN pg_namespace on_ ON on_.oid = coalesce(r.relnamespace, rp.pronamespace, ty.typnamespace)
          CROSS JOIN LATERAL (
                SELECT CASE
                         WHEN r.oid IS NOT NULL AND dep.refobjsubid > 0 THEN 'c'
                         WHEN r.relkind IN ('r', 'p', 'f') THEN 't'
                         WHEN r.relkind IN ('v', 'm') THEN 'v'
                         WHEN rp.oid IS NOT NULL THEN 'f'
                         WHEN ty.oid IS NOT NULL THEN 'y'
                       END AS k,
                       on_.nspname AS s,
                       coalesce(r.relname, rp.proname, ty.typname) AS n,
                       CASE WHEN r.oid IS NOT NULL AND dep.refobjsubid > 0
                            THEN (SELECT ra.attname FROM pg_attribute ra
                                   WHERE ra.attrelid = r.oid AND ra.attnum = dep.refobjsubid) END AS c,
                       CASE WHEN rp.oid IS NOT NULL
                            THEN pg_get_function_identity_arguments(rp.oid) END AS a) x
         WHERE dep.classid = 'pg_rewrite'::regclass AND dep.objid = rw.oid AND dep.deptype = 'n'
           AND on_.nspname NOT IN ('pg_catalog', 'information_schema')
           AND x.k IS NOT NULL) AS depends_on,
       d.description AS comment
  FROM pg_rewrite rw
  JOIN pg_class c ON c.oid = rw.ev_class
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_description d
         ON d.objoid = rw.oid AND d.classoid = 'pg_rewrite'::regclass AND d.objsubid = 0
 WHERE rw.rulename <> '_RETURN'
   AND c.relkind IN ('r', 'p', 'v', 'm')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND NOT (n.nspname = 'pgtenant' AND c.relname IN ('migrations', 'seeds', 'migrate_lock'))
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid
                      AND e.deptype = 'e')
