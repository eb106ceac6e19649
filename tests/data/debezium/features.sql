-- Workload for the column, key, masking and ExtractNewRecordState features
-- (goldens columns*.jsonl, keys.jsonl, unwrap*.jsonl; settings in props/).
--
-- Two parts, selected with psql variables (both run when neither is given):
--   psql -v ddl=1 -f features.sql    -- schema only (before the capture starts)
--   psql -v dml=1 -f features.sql    -- data changes (while it streams)
-- Every statement is deterministic, so two runs give the same row values.
\set ON_ERROR_STOP 1
\if :{?ddl}
\else
  \if :{?dml}
    \set ddl 0
  \else
    \set ddl 1
    \set dml 1
  \endif
\endif
\if :{?dml}
\else
  \set dml 0
\endif
SET client_min_messages = warning;
SET TIME ZONE 'UTC';

\if :ddl
-- Column filters: f_cols.drop_me is excluded, and f_pkx's key column too.
CREATE TABLE f_cols (id int PRIMARY KEY, keep text, drop_me text, secret varchar(20),
                     note text DEFAULT 'n/a');
CREATE TABLE f_pkx (id int PRIMARY KEY, v text);

-- Masking, truncation and hashing.
CREATE TABLE f_mask (
  id int PRIMARY KEY,
  m5 text, m_null varchar(30), mvc varchar(8), mchar char(6), mint int,
  tr text, trvc varchar(2), trb bytea, tre text, tri int,
  h1 text, h1vc varchar(12), h1md5 text, h2 text, h2c char(10), h2sha1 text,
  h1null text, h1def text DEFAULT 'dflt'
);
-- A masked key column: the key keeps the real value.
CREATE TABLE f_maskpk (code text PRIMARY KEY, v text);

-- message.key.columns: a reordered custom key, a nullable key on a table without a
-- primary key, and a numeric key chosen by a table regex.
CREATE TABLE f_key (id int PRIMARY KEY, a int NOT NULL, b text);
CREATE TABLE f_nopk (code text, v int);
ALTER TABLE f_nopk REPLICA IDENTITY FULL;
CREATE TABLE f_numpk2 (id int PRIMARY KEY, n numeric(10,2), label text);
ALTER TABLE f_numpk2 REPLICA IDENTITY FULL;

-- Primary-key changes for every kind of key column (the __debezium.newkey/oldkey headers).
CREATE TABLE f_hdr (
  k_int2 smallint, k_int8 bigint, k_num numeric(10,2), k_vnum numeric, k_text text,
  k_bytea bytea, k_bool boolean, k_date date, k_ts timestamp, k_tstz timestamptz,
  k_uuid uuid, k_f8 double precision, k_f4 real, k_char char(3), k_time time,
  k_iv interval, v text,
  PRIMARY KEY (k_int2, k_int8, k_num, k_vnum, k_text, k_bytea, k_bool, k_date, k_ts,
               k_tstz, k_uuid, k_f8, k_f4, k_char, k_time, k_iv)
);
CREATE TABLE f_hdr_json (k_text text PRIMARY KEY, v int);

-- ExtractNewRecordState: a string column to route by, and a default to see null handling.
CREATE TABLE f_flat (id int PRIMARY KEY, dest text, qty int DEFAULT 7, note text);
\endif

\if :dml
-- f_cols
INSERT INTO f_cols VALUES (1, 'kept', 'gone', 's3cr3t', 'hello');
INSERT INTO f_cols VALUES (2, NULL, NULL, NULL, NULL);
UPDATE f_cols SET drop_me = 'still gone', keep = 'kept again' WHERE id = 1;
UPDATE f_cols SET id = 3 WHERE id = 2;
DELETE FROM f_cols WHERE id = 1;
INSERT INTO f_pkx VALUES (10, 'ten');
UPDATE f_pkx SET v = 'TEN' WHERE id = 10;
UPDATE f_pkx SET id = 11 WHERE id = 10;
DELETE FROM f_pkx WHERE id = 11;

-- f_mask
INSERT INTO f_mask VALUES (1,
  'mask me', NULL, 'varchar', 'ab', 42,
  'truncate me', 'xy', '\x0102030405', 'a😀b', 12345,
  'hash me', 'hash me too', 'md5 me', 'hash v2', 'v2 char', 'sha1 me',
  NULL, NULL);
INSERT INTO f_mask VALUES (2,
  'Grüße 日本語', 'x', '', ' ', NULL,
  'ab😀', '', '\x', '😀😀', NULL,
  'Grüße 😀 日本語', '', 'e\u00e9', 'Grüße 😀', 'ä', 'quote " back \ slash',
  'x', 'y');
INSERT INTO f_mask (id, h1, h2) VALUES (3, repeat('ab', 35000), repeat('xy', 35000));
UPDATE f_mask SET m5 = 'changed', tr = 'abcdef', h1 = 'hash me' WHERE id = 1;
DELETE FROM f_mask WHERE id = 2;
INSERT INTO f_maskpk VALUES ('the key', 'v1');
UPDATE f_maskpk SET code = 'new key' WHERE code = 'the key';
DELETE FROM f_maskpk WHERE code = 'new key';

-- message.key.columns
INSERT INTO f_key VALUES (1, 10, 'one');
INSERT INTO f_key VALUES (2, 20, NULL);
UPDATE f_key SET b = 'uno' WHERE id = 1;
UPDATE f_key SET a = 11 WHERE id = 1;
UPDATE f_key SET id = 3 WHERE id = 2;
DELETE FROM f_key WHERE id = 1;
INSERT INTO f_nopk VALUES ('c1', 1);
INSERT INTO f_nopk VALUES (NULL, 2);
INSERT INTO f_nopk VALUES ('q"uo\te', 3);
UPDATE f_nopk SET v = 10 WHERE code = 'c1';
UPDATE f_nopk SET code = 'c2' WHERE code = 'c1';
UPDATE f_nopk SET code = 'not null now' WHERE code IS NULL;
DELETE FROM f_nopk WHERE code = 'c2';
INSERT INTO f_numpk2 VALUES (1, 12.34, 'a');
UPDATE f_numpk2 SET n = 0.01 WHERE id = 1;
UPDATE f_numpk2 SET label = 'b' WHERE id = 1;
DELETE FROM f_numpk2 WHERE id = 1;

-- f_hdr: insert, change every key column, change again with edge values, delete.
INSERT INTO f_hdr VALUES (1, 9007199254740993, 12345.67, 1.50, 'k"e\y 日本 😀',
  '\x00ff10', true, '2024-02-29', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.5+02',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 1.5, 0.1, 'ab', '13:14:15.25', '1 year 2 mons 3 days 04:05:06.5', 'first');
UPDATE f_hdr SET k_int2 = -32768, k_int8 = -1, k_num = -0.01, k_vnum = 1e30, k_text = '',
  k_bytea = '\x', k_bool = false, k_date = '1970-01-01', k_ts = '1970-01-01 00:00:00',
  k_tstz = '1969-12-31 23:59:59.999999+00', k_uuid = '00000000-0000-0000-0000-000000000000',
  k_f8 = 1e10, k_f4 = 3.4028235e38, k_char = 'x', k_time = '00:00:00', k_iv = '-1 day'
  WHERE v = 'first';
UPDATE f_hdr SET k_f8 = 'NaN', k_f4 = '-Infinity', k_vnum = 0.000000100, k_num = 0.00,
  k_date = '0044-03-15 BC', k_text = E'tab\there' WHERE v = 'first';
DELETE FROM f_hdr WHERE v = 'first';
INSERT INTO f_hdr_json VALUES ('a', 1);
UPDATE f_hdr_json SET k_text = 'b' WHERE k_text = 'a';

-- f_flat
INSERT INTO f_flat VALUES (1, 'dest_one', NULL, 'n1');
INSERT INTO f_flat VALUES (2, NULL, 3, NULL);
UPDATE f_flat SET note = 'n1b', qty = NULL WHERE id = 1;
UPDATE f_flat SET id = 20 WHERE id = 2;
DELETE FROM f_flat WHERE id = 1;
DELETE FROM f_flat WHERE id = 20;
BEGIN;
INSERT INTO f_flat VALUES (5, 'dest_five', 5, 'in a transaction');
SELECT pg_logical_emit_message(true, 'flat', 'a message');
COMMIT;
TRUNCATE f_flat;
\endif
