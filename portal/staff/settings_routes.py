"""Agency settings pages (admin): identity and logo, money and time, quoting defaults,
payment methods (views on staff.bp)."""
