-- Values on which pgcdc knowingly writes something else than Debezium 3.6.3 on Java 17, one
-- table per difference (docs/compatibility.md, "Known differences"). The case running this
-- workload requires every table's records to differ: when one becomes identical, move its
-- values into edge_values.sql and its entry out of the known differences.
--
--   psql -v ddl=1 -f known_differences.sql    the schema
--   psql -v dml=1 -f known_differences.sql    the changes
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
-- Java 17's Float.toString is not always the shortest text (fixed in Java 19).
CREATE TABLE kd_float32 (id integer PRIMARY KEY, r real);
\endif

\if :dml
INSERT INTO kd_float32 VALUES (1, 1.5e10), (2, 1.17549435e-38), (3, 123456789);
\endif
