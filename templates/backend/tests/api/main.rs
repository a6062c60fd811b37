// {{ header }}
//! API tests: each test starts the app on a free port with a fresh database and talks to
//! it over HTTP. One test binary (this file) for all of them keeps linking fast.

{%- for module in modules %}
mod {{ module }};
{%- endfor %}
