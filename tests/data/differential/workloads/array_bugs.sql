-- Arrays that Debezium reads through the JDBC driver's array path, where its values differ
-- from its conversion of a single value (docs/compatibility.md, "Debezium's bugs"): pgcdc
-- writes the same by default.
--
--   psql -v ddl=1 -f array_bugs.sql    the schema
--   psql -v dml=1 -f array_bugs.sql    the changes
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
CREATE TYPE ab_colour AS ENUM ('red', 'green');
-- A NULL element: the whole array is null.
CREATE TABLE ab_enum_array (id integer PRIMARY KEY, a ab_colour[]);
-- NaN or an infinity in an unconstrained numeric array: the whole array is null.
CREATE TABLE ab_numeric_array (id integer PRIMARY KEY, a numeric[]);
-- Infinities and BC dates as Debezium's snapshot writes them.
CREATE TABLE ab_date_array (id integer PRIMARY KEY, a date[]);
-- Times cut to milliseconds, 24:00:00 as 0.
CREATE TABLE ab_time_array (id integer PRIMARY KEY, a time[], a3 time(3)[]);
\endif

\if :dml
INSERT INTO ab_enum_array VALUES (1, '{red,NULL}'), (2, '{red,green}'), (3, '{NULL}'), (4, NULL);
INSERT INTO ab_numeric_array VALUES (1, '{1.5,NaN}'), (2, '{1.5,2.50,NULL}'), (3, '{Infinity}'), (4, '{-Infinity,0}');
INSERT INTO ab_date_array VALUES (1, '{2024-02-29,infinity,-infinity}'), (2, '{0044-03-15 BC,NULL}');
INSERT INTO ab_time_array VALUES
  (1, '{12:00:00,24:00:00,23:59:59.999999}', '{24:00:00,00:00:00.001}'),
  (2, '{00:00:00.000999,NULL}', NULL);
UPDATE ab_enum_array SET a = '{green,NULL}' WHERE id = 2;
\endif
