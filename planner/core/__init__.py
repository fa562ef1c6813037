"""The pure core: customer facts and rule conditions as polars expressions. No I/O here."""
