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
CREATE TYPE kd_colour AS ENUM ('red', 'green');
-- Java 17's Float.toString is not always the shortest text (fixed in Java 19).
CREATE TABLE kd_float32 (id integer PRIMARY KEY, r real);
-- An enum array with a NULL element: Debezium writes null for the whole array.
CREATE TABLE kd_enum_array (id integer PRIMARY KEY, a kd_colour[]);
-- An unconstrained numeric array holding NaN: Debezium writes null for the whole array.
CREATE TABLE kd_numeric_nan_array (id integer PRIMARY KEY, a numeric[]);
-- date[] with infinities: Debezium converts array elements as its snapshot does.
CREATE TABLE kd_date_infinity_array (id integer PRIMARY KEY, a date[]);
-- time[]: Debezium converts elements at millisecond precision, and 24:00:00 to 0.
CREATE TABLE kd_time_2400_array (id integer PRIMARY KEY, a time[]);
-- numeric with a negative scale, in decimal.handling.mode=string.
CREATE TABLE kd_negative_scale (id integer PRIMARY KEY, n numeric(5,-2));
\endif

\if :dml
INSERT INTO kd_float32 VALUES (1, 1.5e10), (2, 1.17549435e-38), (3, 123456789);
INSERT INTO kd_enum_array VALUES (1, '{red,NULL}');
INSERT INTO kd_numeric_nan_array VALUES (1, '{1.5,NaN}');
INSERT INTO kd_date_infinity_array VALUES (1, '{2024-02-29,infinity,-infinity}');
INSERT INTO kd_time_2400_array VALUES (1, '{12:00:00,24:00:00,23:59:59.999999}');
INSERT INTO kd_negative_scale VALUES (1, 12345);
\endif
