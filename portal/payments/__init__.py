"""Payment proofs (deposit, balance), their review, receipts and refunds."""
