-- Keys and events: composite and non-integer primary keys and their changes, tables without a
-- primary key (REPLICA IDENTITY FULL and DEFAULT), TOASTed values under both identities,
-- multi-table transactions, savepoints and rollbacks, logical decoding messages, truncates,
-- statements touching many rows, names that need quoting, columns added and dropped.
--
--   psql -v ddl=1 -f keys_and_events.sql    the schema
--   psql -v dml=1 -f keys_and_events.sql    the changes (deterministic: no now(), no random())
\set ON_ERROR_STOP 1
\if :{?ddl}
\else
  \set ddl 0
\endif
\if :{?dml}
\else
  \set dml 0
\endif
SET client_min_messages = warning;
SET TIME ZONE 'UTC';

\if :ddl
CREATE TABLE k_text (code text PRIMARY KEY, label text);
CREATE TABLE k_composite (
  tenant  integer,
  region  varchar(8),
  day     date,
  qty     integer NOT NULL DEFAULT 1,
  note    text,
  PRIMARY KEY (tenant, region, day)
);
CREATE TABLE k_uuid (id uuid PRIMARY KEY, v integer);
CREATE TABLE k_numeric (id numeric(10,2) PRIMARY KEY, v text);
CREATE TABLE k_ts (at timestamptz PRIMARY KEY, v text);
-- A negative scale (PostgreSQL 15 and later) and the ends of the timestamp range in keys.
CREATE TABLE k_negative_scale (id numeric(5,-2) PRIMARY KEY, v text);
CREATE TABLE k_ts_limits (at timestamp PRIMARY KEY, v text);
CREATE TABLE k_date_limits (d date PRIMARY KEY, v text);
CREATE TABLE k_bytea (id bytea PRIMARY KEY, v text);
CREATE TABLE k_full (id integer PRIMARY KEY, a text, b integer);
ALTER TABLE k_full REPLICA IDENTITY FULL;
CREATE TABLE nopk_full (a integer, b text, c numeric);
ALTER TABLE nopk_full REPLICA IDENTITY FULL;
CREATE TABLE nopk_default (a integer, b text);
CREATE TABLE toast_default (id integer PRIMARY KEY, small text, big text, bin bytea, js jsonb, arr integer[]);
CREATE TABLE toast_full (id integer PRIMARY KEY, small text, big text, bin bytea, js jsonb, arr integer[]);
ALTER TABLE toast_full REPLICA IDENTITY FULL;
CREATE TABLE parent (id integer PRIMARY KEY, name text);
CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id), v text);
CREATE TABLE counters (id serial PRIMARY KEY, n integer);
CREATE TABLE many (id integer PRIMARY KEY, v integer, t text);
CREATE SCHEMA "Other Schema";
CREATE TABLE "Other Schema"."Mixed Case" ("Key Col" integer PRIMARY KEY, "größe" text, "dash-col" integer, "$dollar" text);
CREATE TABLE evolving (id integer PRIMARY KEY, a text);
\endif

\if :dml
-- text keys: empty, unicode and astral, then key changes (delete, tombstone, create)
INSERT INTO k_text VALUES ('', 'empty key'), ('é', 'accent'), (E'\U0001F600', 'emoji'), (E'tab\there', 'control'), ('x', 'plain');
UPDATE k_text SET code = 'renamed' WHERE code = 'x';
UPDATE k_text SET code = E'\U0001F680' WHERE code = '';
UPDATE k_text SET label = 'same key' WHERE code = 'é';
DELETE FROM k_text WHERE code = E'tab\there';

-- a composite key, one part of it changing at a time
INSERT INTO k_composite VALUES (1, 'eu', '2024-01-01', 5, 'a'), (1, 'us', '2024-01-01', 6, NULL), (2, 'eu', '2024-02-29', 7, 'c');
UPDATE k_composite SET region = 'apac' WHERE tenant = 1 AND region = 'eu';
UPDATE k_composite SET day = '2024-03-01', qty = 8 WHERE tenant = 2;
UPDATE k_composite SET tenant = 3, region = 'us', note = 'moved' WHERE tenant = 1 AND region = 'us';
UPDATE k_composite SET note = NULL WHERE tenant = 3;
DELETE FROM k_composite WHERE tenant = 2;

-- uuid, numeric, timestamptz and bytea keys, each changed and deleted; keys at the ends of
-- their types' ranges
INSERT INTO k_uuid VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 1), ('00000000-0000-0000-0000-000000000000', 2);
UPDATE k_uuid SET id = 'ffffffff-ffff-ffff-ffff-ffffffffffff' WHERE v = 2;
DELETE FROM k_uuid WHERE v = 1;
INSERT INTO k_numeric VALUES (1.5, 'a'), (-0.01, 'b'), (99999999.99, 'c');
UPDATE k_numeric SET id = 2.25 WHERE v = 'a';
DELETE FROM k_numeric WHERE v = 'b';
INSERT INTO k_ts VALUES ('2024-02-29 13:14:15.123456+02', 'a'), ('1970-01-01 00:00:00+00', 'b');
UPDATE k_ts SET at = '2000-01-01 00:00:00.5+00' WHERE v = 'a';
DELETE FROM k_ts WHERE v = 'b';
INSERT INTO k_negative_scale VALUES (12345, 'a'), (-500, 'b');
UPDATE k_negative_scale SET id = 99900 WHERE v = 'a';
DELETE FROM k_negative_scale WHERE v = 'b';
INSERT INTO k_ts_limits VALUES ('294276-12-31 23:59:59.999999', 'a'), ('1000-03-01 12:00:00', 'b'), ('0044-03-15 12:00:00 BC', 'c');
UPDATE k_ts_limits SET at = '294247-01-10 04:00:54.7759' WHERE v = 'a';
UPDATE k_ts_limits SET at = '1582-10-14 00:00:00.5' WHERE v = 'b';
UPDATE k_ts_limits SET at = '4714-11-24 00:00:00 BC' WHERE v = 'c';
INSERT INTO k_date_limits VALUES ('5874897-12-31', 'a'), ('1000-03-01', 'b');
UPDATE k_date_limits SET d = '1582-10-14' WHERE v = 'a';
UPDATE k_date_limits SET d = '0044-03-15 BC' WHERE v = 'b';
INSERT INTO k_bytea VALUES ('\x00', 'a'), ('\xdeadbeef', 'b');
UPDATE k_bytea SET id = '\x0102' WHERE v = 'a';
DELETE FROM k_bytea WHERE v = 'b';

-- REPLICA IDENTITY FULL with a primary key: full before images, a key change
INSERT INTO k_full VALUES (1, 'one', 1), (2, NULL, NULL);
UPDATE k_full SET a = 'uno' WHERE id = 1;
UPDATE k_full SET id = 20, b = 2 WHERE id = 2;
DELETE FROM k_full WHERE id = 1;

-- no primary key: FULL (updates and deletes of duplicate rows) and DEFAULT (inserts only)
INSERT INTO nopk_full VALUES (1, 'a', 1.5), (1, 'a', 1.5), (2, NULL, NULL);
UPDATE nopk_full SET b = 'b' WHERE a = 1;
UPDATE nopk_full SET c = 'NaN' WHERE a = 2;
DELETE FROM nopk_full WHERE a = 1;
INSERT INTO nopk_default VALUES (1, 'x'), (NULL, NULL);

-- TOAST: values stored out of line, then updates that leave them alone or change them
INSERT INTO toast_default
  SELECT i, 's' || i, (SELECT string_agg(md5((i * 1000 + g)::text), '') FROM generate_series(1, 300) g),
         (SELECT decode(string_agg(md5((i * 2000 + g)::text), ''), 'hex') FROM generate_series(1, 300) g),
         (SELECT jsonb_object_agg('k' || g, md5(g::text)) FROM generate_series(1, 200) g),
         (SELECT array_agg((g * 7919 + i) % 100003) FROM generate_series(1, 3000) g)
  FROM generate_series(1, 2) i;
INSERT INTO toast_full SELECT * FROM toast_default;
UPDATE toast_default SET small = 'changed' WHERE id = 1;
UPDATE toast_full SET small = 'changed' WHERE id = 1;
UPDATE toast_default SET big = 'short now', small = 'also' WHERE id = 2;
UPDATE toast_full SET big = 'short now', small = 'also' WHERE id = 2;
UPDATE toast_default SET id = 3 WHERE id = 1;
UPDATE toast_full SET id = 3 WHERE id = 1;
DELETE FROM toast_default WHERE id = 2;
DELETE FROM toast_full WHERE id = 2;

-- one transaction over several tables, with a message in the middle
BEGIN;
INSERT INTO parent VALUES (1, 'p1'), (2, 'p2');
INSERT INTO child VALUES (1, 1, 'c1'), (2, 2, 'c2'), (3, 1, 'c3');
SELECT pg_logical_emit_message(true, 'app.audit', '{"user": "alice", "note": "multi-table"}') IS NOT NULL;
UPDATE parent SET name = 'p1b' WHERE id = 1;
DELETE FROM child WHERE id = 2;
INSERT INTO counters (n) VALUES (1), (2);
COMMIT;

-- savepoints: the rolled-back part is not sent
BEGIN;
INSERT INTO counters (n) VALUES (10);
SAVEPOINT s1;
INSERT INTO counters (n) VALUES (11);
UPDATE parent SET name = 'never' WHERE id = 2;
ROLLBACK TO SAVEPOINT s1;
INSERT INTO counters (n) VALUES (12);
COMMIT;
BEGIN;
INSERT INTO counters (n) VALUES (99);
ROLLBACK;

-- messages: binary and empty content, a unicode prefix, one alone in its transaction, and
-- non-transactional ones between transactions
SELECT pg_logical_emit_message(false, 'nontx.binary', '\x00ff10'::bytea) IS NOT NULL;
SELECT pg_logical_emit_message(true, E'pr\u00e9fix \U0001F600', '') IS NOT NULL;
BEGIN;
SELECT pg_logical_emit_message(true, 'only.message', 'alone in its transaction') IS NOT NULL;
COMMIT;
SELECT pg_logical_emit_message(false, 'nontx.text', E'caf\u00e9 \U0001F600') IS NOT NULL;

-- many rows in one statement, then in one transaction
INSERT INTO many SELECT g, g % 7, 'row ' || g FROM generate_series(1, 150) g;
UPDATE many SET v = v + 1 WHERE id % 3 = 0;
DELETE FROM many WHERE id > 120;

-- names that need quoting
INSERT INTO "Other Schema"."Mixed Case" VALUES (1, 'groß', -1, '$x');
UPDATE "Other Schema"."Mixed Case" SET "Key Col" = 2, "dash-col" = NULL WHERE "Key Col" = 1;

-- a column added with a default, then dropped
INSERT INTO evolving VALUES (1, 'before');
ALTER TABLE evolving ADD COLUMN extra integer DEFAULT 5, ADD COLUMN label text NOT NULL DEFAULT 'lbl';
INSERT INTO evolving (id, a) VALUES (2, 'after add');
UPDATE evolving SET extra = NULL WHERE id = 1;
ALTER TABLE evolving DROP COLUMN a;
INSERT INTO evolving (id, extra) VALUES (3, 7);

-- truncates: two tables at once, with RESTART IDENTITY, and one cascading to a child
TRUNCATE many, nopk_default;
TRUNCATE counters RESTART IDENTITY;
INSERT INTO counters (n) VALUES (1000);
TRUNCATE parent CASCADE;
INSERT INTO parent VALUES (7, 'after truncate');
\endif
