-- Workload for txbegin.jsonl: which LSN the BEGIN record of transaction metadata carries
-- when a transaction's first change is not captured, or none is.
-- Two parts, as features.sql: -v ddl=1 (schema), -v dml=1 (changes).
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
\if :ddl
CREATE TABLE tx_keep (id int PRIMARY KEY, v text);
CREATE TABLE tx_skip (id int PRIMARY KEY, v text);
\endif
\if :dml
-- The first change is to a table that is not captured.
BEGIN;
INSERT INTO tx_skip VALUES (1, 'skipped');
INSERT INTO tx_keep VALUES (1, 'kept');
COMMIT;
-- No captured change at all.
BEGIN;
INSERT INTO tx_skip VALUES (2, 'skipped');
COMMIT;
-- The first WAL record is DDL.
BEGIN;
CREATE TABLE tx_new (id int);
INSERT INTO tx_keep VALUES (2, 'after ddl');
COMMIT;
INSERT INTO tx_keep VALUES (3, 'plain');
\endif
