"""Back-office order list: filters, search, pagination and CSV export (views on staff.bp)."""
