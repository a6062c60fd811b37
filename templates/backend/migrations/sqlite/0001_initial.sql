-- {{ header }}
-- The schema of {{ name }} on SQLite. Migrations are append-only: see migrations/README.md.
--
-- How values are stored: ids are UUID v7 (time-ordered) as lowercase hyphenated TEXT;
-- instants are fixed-width RFC 3339 UTC TEXT with microseconds (2030-01-31T18:00:00.000000Z),
-- so text order is time order and comparisons in constraints and queries are right; dates
-- are YYYY-MM-DD TEXT; money is INTEGER cents; booleans are 0 or 1; JSON is TEXT. Tables are
-- STRICT, so SQLite refuses a value of the wrong type. Constraints are named; the app maps a
-- violation to its answer by name.
{%- for t in tables %}

{{ t.comment_block() }}
CREATE TABLE {{ t.name }} (
{%- for item in t.items %}
{{ item }}
{%- endfor %}
){{ t.suffix }};
{%- for statement in t.after %}
{{ statement }}
{%- endfor %}
{%- endfor %}
