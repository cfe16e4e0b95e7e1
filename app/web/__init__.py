"""Cross-cutting web helpers: page-or-fragment rendering, htmx headers, access decorators, errors."""
