"""Topic and tone of buyer messages (DESIGN.md §16): an offline model shipped with the product, or the LLM."""
