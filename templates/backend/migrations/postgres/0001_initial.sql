-- {{ header }}
-- The schema of {{ name }} on PostgreSQL. Migrations are append-only: see migrations/README.md.
--
-- How values are stored: ids are UUID v7 (time-ordered) as UUID; instants are TIMESTAMPTZ
-- (microseconds, UTC); dates are DATE; money is BIGINT cents; decimals are DOUBLE PRECISION;
-- JSON is JSONB. Constraints are named; the app maps a violation to its answer by name.
{%- if btree_gist %}

-- Exclusion constraints (no-overlap rules) compare ids with `=` inside a GiST index.
CREATE EXTENSION IF NOT EXISTS btree_gist;
{%- endif %}
{%- if let Some(function) = rule_function %}

-- Rule triggers (immutability, status transitions) refuse a write by raising a check
-- violation named after the rule; the app answers it like the service's own check.
{{ function }}
{%- endif %}
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
